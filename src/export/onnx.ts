// Exports a Sequential model to ONNX (opset 17, or 20 when it uses GELU): one graph from 0-1 pixels
// to class probabilities, with the saved normalization as the first two nodes, so the file needs
// nothing beside it. Covers the MLP and CNN presets and their relatives; other layers are refused.
import { UsageError } from '../errors.js';
import type { ActivationName } from '../nn/activations.js';
import type { LayerConfig, Module } from '../nn/module.js';
import type { Sequential } from '../nn/layers/sequential.js';
import type { Normalization } from '../data/dataset.js';
import { ProtoWriter } from './protobuf.js';

/** What the exporter needs from config.json. */
export interface OnnxExportInfo {
  name?: string;
  normalization: Normalization;
  classNames: readonly string[];
}

/** The exported graph's names, for callers that run it. */
export const ONNX_INPUT = 'pixels';
export const ONNX_OUTPUT = 'probabilities';
export const SUPPORTED_LAYERS = ['Flatten', 'Reshape', 'Dense', 'Conv2D', 'MaxPool2D', 'AvgPool2D', 'BatchNorm', 'Dropout', 'Activation'];

const FLOAT = 1;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

type Attribute = { name: string; f: number } | { name: string; i: number } | { name: string; ints: readonly number[] };

/** The ONNX bytes of `model` (in inference mode: dropout off, batch norm with running statistics). */
export function exportOnnx(model: Sequential, info: OnnxExportInfo, producerVersion = '0.1.0'): Uint8Array {
  const inputShape = model.inputShape;
  if (inputShape === null) throw new UsageError('export: the model has no input shape');
  const graph = new GraphBuilder();
  let current = ONNX_INPUT;

  // 0-1 pixels -> model input: (x - mean) / std.
  const { mean, std } = info.normalization;
  if (mean !== 0 || std !== 1) {
    current = graph.node('Sub', [current, graph.constant('normalize.mean', [], [mean])], 'normalize_sub');
    current = graph.node('Div', [current, graph.constant('normalize.std', [], [std])], 'normalize_div');
  }

  const state = model.stateDict();
  const weight = (index: number, name: string): string => {
    const key = `${index}.${name}`;
    const t = state.get(key);
    if (!t) throw new UsageError(`export: layer ${index} has no tensor '${name}'`);
    return graph.constant(key, t.shape, t.data());
  };
  let shape = [...inputShape]; // per example, without the batch axis
  let endsWithSoftmax = false;
  model.layers.forEach((layer: Module, i: number) => {
    const c = layer.config() as LayerConfig & Record<string, unknown>;
    const outShape = layer.outputShape(shape);
    endsWithSoftmax = false;
    switch (c.type) {
      case 'Flatten':
        current = graph.node('Flatten', [current], `flatten_${i}`, [{ name: 'axis', i: 1 }]);
        break;
      case 'Reshape':
        current = graph.node('Reshape', [current, graph.constant(`${i}.shape`, [outShape.length + 1], [0, ...outShape], INT64)], `reshape_${i}`);
        break;
      case 'Dense': {
        const inputs = [current, weight(i, 'weight')];
        if (c.useBias !== false) inputs.push(weight(i, 'bias'));
        if (shape.length === 1) current = graph.node('Gemm', inputs, `dense_${i}`);
        else {
          current = graph.node('MatMul', inputs.slice(0, 2), `dense_${i}`);
          if (inputs[2]) current = graph.node('Add', [current, inputs[2]], `dense_${i}_bias`);
        }
        current = activation(graph, c.activation as ActivationName, current, i);
        endsWithSoftmax = c.activation === 'softmax';
        break;
      }
      case 'Conv2D': {
        const k = c.kernelSize as number;
        const pad = c.padding === 'valid' ? 0 : c.padding === 'same' ? (k - 1) / 2 : (c.padding as number);
        const inputs = [current, weight(i, 'weight')];
        if (c.useBias !== false) inputs.push(weight(i, 'bias'));
        current = graph.node('Conv', inputs, `conv_${i}`, [
          { name: 'kernel_shape', ints: [k, k] }, { name: 'strides', ints: [c.stride as number, c.stride as number] },
          { name: 'pads', ints: [pad, pad, pad, pad] }, { name: 'dilations', ints: [1, 1] },
        ]);
        current = activation(graph, c.activation as ActivationName, current, i);
        break;
      }
      case 'MaxPool2D':
      case 'AvgPool2D': {
        const p = c.padding as number;
        const attributes: Attribute[] = [
          { name: 'kernel_shape', ints: [c.poolSize as number, c.poolSize as number] },
          { name: 'strides', ints: [c.stride as number, c.stride as number] }, { name: 'pads', ints: [p, p, p, p] },
        ];
        if (c.type === 'AvgPool2D') attributes.push({ name: 'count_include_pad', i: 1 }); // zerograd counts padding as zeros
        current = graph.node(c.type === 'MaxPool2D' ? 'MaxPool' : 'AveragePool', [current], `pool_${i}`, attributes);
        break;
      }
      case 'BatchNorm':
        current = graph.node('BatchNormalization',
          [current, weight(i, 'weight'), weight(i, 'bias'), weight(i, 'runningMean'), weight(i, 'runningVar')],
          `batchnorm_${i}`, [{ name: 'epsilon', f: c.eps as number }]);
        current = activation(graph, (c.activation ?? 'linear') as ActivationName, current, i); // as Conv2D's: a final softmax stays
        break;
      case 'Dropout':
        break; // identity at inference
      case 'Activation':
        current = activation(graph, c.activation as ActivationName, current, i);
        endsWithSoftmax = c.activation === 'softmax';
        break;
      default:
        throw new UsageError(`export: layer ${i} (${c.type}) cannot be exported to ONNX; supported layers: ${SUPPORTED_LAYERS.join(', ')}`);
    }
    shape = outShape;
  });
  if (shape.length !== 1 || shape[0] !== info.classNames.length) {
    throw new UsageError(`export: the model outputs (${shape.join(', ')}) per example, expected ${info.classNames.length} class scores`);
  }
  if (!endsWithSoftmax) current = graph.node('Softmax', [current], 'softmax', [{ name: 'axis', i: -1 }]);
  graph.rename(current, ONNX_OUTPUT);

  const opset = graph.usesGelu ? 20 : 17;
  const g = new ProtoWriter();
  for (const node of graph.nodes) g.message(1, node);
  g.string(2, info.name ?? 'zerograd_model');
  for (const init of graph.initializers) g.message(5, init);
  g.string(10, 'zerograd Sequential model: MNIST-style pixels 0-1 (0 = background) -> class probabilities');
  g.message(11, valueInfo(ONNX_INPUT, [null, ...inputShape]));
  g.message(12, valueInfo(ONNX_OUTPUT, [null, info.classNames.length]));

  const m = new ProtoWriter();
  m.int(1, opset >= 18 ? 9 : 8); // IR version matching the opset
  m.string(2, 'zerograd').string(3, producerVersion);
  m.message(7, g);
  m.message(8, new ProtoWriter().string(1, '').int(2, opset));
  const metadata: Record<string, string> = { class_names: JSON.stringify(info.classNames), normalization: JSON.stringify(info.normalization), input: 'pixels 0-1, 0 = background, 1 = ink' };
  for (const [key, value] of Object.entries(metadata)) m.message(14, new ProtoWriter().string(1, key).string(2, value));
  return m.finish();
}

function activation(graph: GraphBuilder, name: ActivationName, input: string, index: number): string {
  switch (name) {
    case 'linear': return input;
    case 'relu': return graph.node('Relu', [input], `relu_${index}`);
    case 'leakyRelu': return graph.node('LeakyRelu', [input], `leaky_relu_${index}`, [{ name: 'alpha', f: 0.01 }]);
    case 'sigmoid': return graph.node('Sigmoid', [input], `sigmoid_${index}`);
    case 'tanh': return graph.node('Tanh', [input], `tanh_${index}`);
    case 'softmax': return graph.node('Softmax', [input], `softmax_${index}`, [{ name: 'axis', i: -1 }]);
    case 'gelu':
      graph.usesGelu = true;
      return graph.node('Gelu', [input], `gelu_${index}`);
  }
}

/** Collects nodes and initializers; every node output gets a fresh name. */
class GraphBuilder {
  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];
  usesGelu = false;
  private readonly pending: { inputs: string[]; output: string; name: string; op: string; attributes: Attribute[] }[] = [];
  private count = 0;

  node(op: string, inputs: string[], name: string, attributes: Attribute[] = []): string {
    const output = `t${this.count++}_${op.toLowerCase()}`;
    this.pending.push({ inputs, output, name, op, attributes });
    return output;
  }

  constant(name: string, dims: readonly number[], values: ArrayLike<number>, type: number = FLOAT): string {
    const t = new ProtoWriter().packedInts(1, dims).int(2, type).string(8, name);
    const raw = type === INT64 ? new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer) : new Uint8Array(Float32Array.from(values).buffer);
    t.bytes(9, raw);
    this.initializers.push(t);
    return name;
  }

  /** Renames the final output and writes every node. */
  rename(from: string, to: string): void {
    for (const p of this.pending) {
      const n = new ProtoWriter();
      for (const input of p.inputs) n.string(1, input === from ? to : input);
      n.string(2, p.output === from ? to : p.output).string(3, p.name).string(4, p.op);
      for (const a of p.attributes) n.message(5, attribute(a));
      this.nodes.push(n);
    }
  }
}

function attribute(a: Attribute): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if ('f' in a) return w.float(2, a.f).int(20, ATTR.FLOAT);
  if ('i' in a) return w.int(3, a.i).int(20, ATTR.INT);
  return w.packedInts(8, a.ints).int(20, ATTR.INTS);
}

function valueInfo(name: string, dims: readonly (number | null)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, d === null ? new ProtoWriter().string(2, 'batch') : new ProtoWriter().int(1, d));
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}
