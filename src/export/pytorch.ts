// Exports a zerograd model to PyTorch: model.py (the network as torch.nn.Module classes, preprocessing,
// a small safetensors reader and load_model(), needing only torch) and the weights as a PyTorch state
// dict in safetensors. A Sequential becomes a class `Net` with one attribute per weighted layer and one
// forward line per layer; a model folder holding one ViT or ResNet exports that class itself.
import type { Normalization } from '../data/dataset.js';
import { ZerogradError } from '../errors.js';
import { encodeSafetensors, type NamedArray } from '../io/safetensors.js';
import type { ActivationName } from '../nn/activations.js';
import { Backbone } from '../nn/layers/backbone.js';
import { Activation, Dropout, Reshape } from '../nn/layers/basic.js';
import { Conv2D, Pool2D } from '../nn/layers/conv.js';
import { Dense } from '../nn/layers/dense.js';
import { BatchNorm, LayerNorm } from '../nn/layers/norm.js';
import { ChannelNormalize, RepeatChannels, Resize } from '../nn/layers/resize.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';
import { classClosure, PYTHON_CLASSES } from './pytorch-classes.js';
import { classesOf, compositeOf, keywords, putModule, py } from './pytorch-modules.js';
import { modelPyFile } from './pytorch-runtime.js';
import { dotted, putLeaf, TorchState } from './pytorch-tensors.js';

/** What the exporter needs from config.json. */
export interface PytorchExportInfo {
  name?: string;
  /** Where the model came from (a folder), for the header comment. */
  source?: string;
  normalization: Normalization;
  /** config.json's preprocessing.channelStats, where the model has per-channel statistics (imported models). */
  channelStats?: { mean: readonly number[]; std: readonly number[] };
  classNames: readonly string[];
}

/** The exported files and what they hold. */
export interface PytorchExport {
  /** model.py */
  source: string;
  /** model.safetensors: the state dict, PyTorch names and layouts. */
  weights: Uint8Array;
  /** The same tensors by PyTorch name, in file order. */
  tensors: Map<string, NamedArray>;
  /** PyTorch name -> the zerograd tensor name(s) it was made from. */
  sources: Map<string, string>;
  /** The Python class load_model() returns. */
  rootClass: string;
}

export const PYTORCH_SOURCE_FILE = 'model.py';
export const PYTORCH_WEIGHTS_FILE = 'model.safetensors';

/** Collects tensors, the composite classes used and the generated Sequential classes. */
class Emitter {
  readonly state = new TorchState();
  readonly classes = new Set<string>();
  readonly chains: string[] = [];
  stacks = 0;
}

const FINAL_SOFTMAX = "# zerograd's final softmax is left out: the model outputs logits";
const shapeComment = (shape: readonly number[]): string => `  # (N, ${shape.join(', ')})`;

/** `expr` through a zerograd activation, as PyTorch writes it (leakyRelu's slope is zerograd's 0.01; gelu the exact erf form). */
function activate(name: ActivationName, expr: string): string {
  switch (name) {
    case 'linear': return expr;
    case 'relu': return `F.relu(${expr})`;
    case 'leakyRelu': return `F.leaky_relu(${expr}, 0.01)`;
    case 'sigmoid': return `torch.sigmoid(${expr})`;
    case 'tanh': return `torch.tanh(${expr})`;
    case 'gelu': return `F.gelu(${expr})`;
    case 'softmax': return `F.softmax(${expr}, dim=-1)`;
  }
}

function convPadding(layer: Conv2D): number {
  if (layer.padding === 'valid') return 0;
  if (layer.padding === 'same') return (layer.kernelSize - 1) / 2;
  return layer.padding;
}

/**
 * Writes the Python class `className` for `seq` (zerograd prefix `zg`, PyTorch prefix `torch`) into the
 * emitter and returns nothing; `logits` drops a final softmax, as Sequential.forwardLogits does.
 */
function emitChain(em: Emitter, seq: Sequential, className: string, zg: string, torch: string, inputShape: readonly number[], logits: boolean): void {
  const init: string[] = [];
  const forward: string[] = [];
  const counts = new Map<string, number>();
  const attribute = (base: string): string => {
    const n = (counts.get(base) ?? 0) + 1;
    counts.set(base, n);
    return `${base}${n}`;
  };
  let shape = [...inputShape];
  seq.layers.forEach((layer, i) => {
    const at = dotted(zg, String(i));
    const next = layer.outputShape(shape);
    const last = logits && i === seq.layers.length - 1;
    const lines = layerLines(em, layer, { at, torch, shape, last, attribute, init });
    if (lines[lines.length - 1].startsWith('x = ')) lines[lines.length - 1] += shapeComment(next);
    forward.push(...lines);
    shape = next;
  });
  const description = seq.layers.map((l) => l.config().type).join(' -> ');
  em.chains.push([
    `class ${className}(nn.Module):`,
    `    """zerograd Sequential: ${description}. (N, ${inputShape.join(', ')}) -> (N, ${shape.join(', ')})${logits ? ' logits' : ''}."""`,
    '',
    '    def __init__(self):',
    '        super().__init__()',
    ...(init.length > 0 ? init.map((l) => `        ${l}`) : ['        pass']),
    '',
    '    def forward(self, x):',
    ...forward.map((l) => `        ${l}`),
    '        return x',
  ].join('\n'));
}

interface LayerContext {
  at: string;
  torch: string;
  shape: readonly number[];
  last: boolean;
  attribute(base: string): string;
  init: string[];
}

/** The forward lines of one layer of a Sequential (adding its attributes and tensors). */
function layerLines(em: Emitter, layer: Module, c: LayerContext): string[] {
  const type = layer.config().type;
  const leaf = (base: string, constructor: string): string => {
    const name = c.attribute(base);
    c.init.push(`self.${name} = ${constructor}`);
    putLeaf(em.state, layer, c.at, dotted(c.torch, name));
    return `self.${name}(x)`;
  };
  if (layer instanceof Dense) { // LoraDense too: its merged weight
    const weight = layer.weight;
    if (!weight) throw new ZerogradError(`export: Dense layer '${c.at}' has no weights (build the model first)`);
    const call = leaf('fc', `nn.Linear(${weight.shape[0]}, ${weight.shape[1]}${keywords([['bias', layer.useBias, true]])})`);
    if (c.last && layer.activation === 'softmax') return [FINAL_SOFTMAX, `x = ${call}`];
    return [`x = ${activate(layer.activation, call)}`];
  }
  if (layer instanceof Conv2D) {
    const weight = layer.weight;
    if (!weight) throw new ZerogradError(`export: Conv2D layer '${c.at}' has no weights (build the model first)`);
    const args = keywords([['stride', layer.stride, 1], ['padding', convPadding(layer), 0], ['bias', layer.useBias, true]]);
    // A final conv's softmax stays, as zerograd's forwardLogits keeps it (it drops Dense and Softmax layers' only).
    const call = leaf('conv', `nn.Conv2d(${weight.shape[1]}, ${weight.shape[0]}, kernel_size=${layer.kernelSize}${args})`);
    return [`x = ${activate(layer.activation, call)}`];
  }
  if (layer instanceof BatchNorm) {
    const channels = (layer.weight as NonNullable<BatchNorm['weight']>).size;
    const kind = c.shape.length === 1 ? '1d' : '2d';
    const call = leaf('bn', `nn.BatchNorm${kind}(${channels}${keywords([['eps', layer.eps, 1e-5], ['momentum', layer.momentum, 0.1]])})`);
    return [`x = ${activate(layer.activation, call)}`];
  }
  if (layer instanceof LayerNorm) {
    const features = (layer.weight as NonNullable<LayerNorm['weight']>).size;
    return [`x = ${leaf('norm', `nn.LayerNorm(${features}${keywords([['eps', layer.eps, 1e-5]])})`)}`];
  }
  if (layer instanceof Pool2D) {
    const fn = type === 'MaxPool2D' ? 'F.max_pool2d' : 'F.avg_pool2d';
    return [`x = ${fn}(x, kernel_size=${layer.poolSize}${keywords([['stride', layer.stride, layer.poolSize], ['padding', layer.padding, 0]])})`];
  }
  if (type === 'Flatten') return ['x = torch.flatten(x, 1)'];
  if (layer instanceof Reshape) return [`x = x.reshape(x.shape[0], ${layer.targetShape.join(', ')})`];
  if (layer instanceof Dropout) {
    const name = c.attribute('dropout');
    c.init.push(`self.${name} = nn.Dropout(p=${py(layer.rate)})`);
    return [`x = self.${name}(x)`];
  }
  if (layer instanceof Activation) {
    if (c.last && layer.activation === 'softmax') return [FINAL_SOFTMAX];
    return [`x = ${activate(layer.activation, 'x')}`];
  }
  // Input adaptation (resize.ts): bilinear as zerograd's interpolation matrices (align_corners=False, no antialiasing).
  if (layer instanceof Resize) return [`x = F.interpolate(x, size=(${layer.height}, ${layer.width}), mode="bilinear", align_corners=False)`];
  if (layer instanceof RepeatChannels) return [`x = x.expand(-1, ${layer.channels}, -1, -1)`];
  if (layer instanceof ChannelNormalize) {
    const name = c.attribute('normalize');
    c.init.push(`self.${name} = ChannelNormalize(mean=${py([...layer.mean])}, std=${py([...layer.std])})`);
    em.classes.add('ChannelNormalize');
    return [`x = self.${name}(x)`];
  }
  if (layer instanceof Sequential) {
    const name = c.attribute('stack');
    const className = `Stack${++em.stacks}`;
    emitChain(em, layer, className, c.at, dotted(c.torch, name), c.shape, false);
    c.init.push(`self.${name} = ${className}()`);
    return [`x = self.${name}(x)`];
  }
  const spec = compositeOf(layer);
  if (!spec) throw new ZerogradError(`export: layer '${c.at}' (${type}) has no PyTorch mapping`);
  const name = c.attribute(spec.attribute);
  c.init.push(`self.${name} = ${spec.constructorCall(layer)}`);
  for (const used of classesOf(spec, layer)) em.classes.add(used);
  putModule(em.state, layer, c.at, dotted(c.torch, name));
  const lines = [`x = self.${name}(x)`];
  const images = imageShapeOf(layer);
  if (images && c.shape.length === 1) lines.unshift(`x = x.reshape(-1, ${images.join(', ')})  # flat images, as zerograd accepts them`);
  return lines;
}

/** The (C, H, W) a layer that also accepts flat images reshapes them to. */
function imageShapeOf(layer: Module): number[] | null {
  const c = layer.config();
  if (c.type === 'VisionTransformer' || c.type === 'ResNet' || c.type === 'PatchEmbedding') {
    const size = c.imageSize as number;
    return [c.channels as number, size, size];
  }
  return null;
}

/** The model.py and model.safetensors of `model` (read in inference mode; the model is not changed). */
export function exportPytorch(model: Sequential, info: PytorchExportInfo): PytorchExport {
  const inputShape = model.inputShape;
  if (inputShape === null) throw new ZerogradError('export: the model has no input shape; build it first');
  const em = new Emitter();
  let rootCall: string;
  let rootClass: string;
  const only = model.layers.length === 1 ? model.layers[0] : null;
  const spec = only ? compositeOf(only) : null;
  if (only instanceof Backbone && spec && inputShape.length === 3) {
    rootCall = spec.constructorCall(only);
    rootClass = spec.pythonClass;
    for (const used of classesOf(spec, only)) em.classes.add(used);
    putModule(em.state, only, '0', '');
  } else {
    emitChain(em, model, 'Net', '', '', inputShape, true);
    rootCall = 'Net()';
    rootClass = 'Net';
  }
  em.state.checkComplete(model);
  const outputs = model.outputShape(inputShape);
  const library = classClosure(em.classes).map((name) => PYTHON_CLASSES[name].source.trim());
  const source = modelPyFile({
    name: info.name ?? model.name ?? 'model', from: info.source, rootClass, rootCall, inputShape, outputs,
    normalization: info.normalization, channelStats: info.channelStats, classNames: info.classNames, classes: [...library, ...em.chains],
  });
  const metadata = { format: 'pt', producer: 'zerograd export --format pytorch', zerograd_names: JSON.stringify(Object.fromEntries(em.state.sources)) };
  return { source, weights: encodeSafetensors(em.state.tensors, metadata), tensors: em.state.tensors, sources: em.state.sources, rootClass };
}
