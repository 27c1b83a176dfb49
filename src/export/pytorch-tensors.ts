// zerograd state -> a PyTorch state dict: PyTorch's names and layouts for the weight-holding leaf layers
// (Linear weights (out, in); batch norm's running_mean, running_var and num_batches_tracked), LoRA
// adapters merged into their base weights, and a check that every zerograd tensor was exported once.
import { ZerogradError } from '../errors.js';
import { BatchNorm, LayerNorm } from '../nn/layers/norm.js';
import { Conv2D } from '../nn/layers/conv.js';
import { Dense } from '../nn/layers/dense.js';
import { LoraDense } from '../nn/lora.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import type { NamedArray } from '../io/safetensors.js';

/** `prefix.name`, or `name` at the root. */
export const dotted = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

const f32 = (t: Tensor): NamedArray => ({ dtype: 'F32', shape: [...t.shape], values: Float32Array.from(t.data()) });

/** A (rows, cols) matrix transposed: (in, out) Dense weights -> (out, in) as torch.nn.Linear keeps them. */
export function transposed(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

/** W + scale·A·B of a LoRA layer, (in, out), summed in float64. */
export function mergedLoraWeight(layer: LoraDense): Float64Array {
  const weight = (layer.weight as Tensor).data();
  const a = layer.loraA.data();
  const b = layer.loraB.data();
  const [inputs, rank] = layer.loraA.shape;
  const outputs = layer.loraB.shape[1];
  const merged = Float64Array.from(weight);
  for (let i = 0; i < inputs; i++) {
    for (let r = 0; r < rank; r++) {
      const air = a[i * rank + r] * layer.scale;
      for (let o = 0; o < outputs; o++) merged[i * outputs + o] += air * b[r * outputs + o];
    }
  }
  return merged;
}

/** The exported state dict being collected, and which zerograd tensors it has used. */
export class TorchState {
  /** PyTorch name -> array, in the order model.state_dict() lists them. */
  readonly tensors = new Map<string, NamedArray>();
  /** PyTorch name -> the zerograd name(s) it was made from ('' for num_batches_tracked). */
  readonly sources = new Map<string, string>();
  private readonly used = new Set<string>();

  put(torchName: string, array: NamedArray, ...zerogradNames: string[]): void {
    if (this.tensors.has(torchName)) throw new ZerogradError(`export: two tensors map to the PyTorch name '${torchName}'`);
    this.tensors.set(torchName, array);
    this.sources.set(torchName, zerogradNames.join(' + '));
    for (const name of zerogradNames) this.used.add(name);
  }

  /** Throws when a zerograd parameter or buffer was not exported (an exporter gap, never silent). */
  checkComplete(model: Module): void {
    const missed = [...model.stateDict().keys()].filter((name) => !this.used.has(name));
    if (missed.length > 0) throw new ZerogradError(`export: ${missed.length} zerograd tensor(s) have no PyTorch counterpart: ${missed.slice(0, 8).join(', ')}`);
  }
}

/** True for the layers whose tensors putLeaf converts. */
export function isLeaf(module: Module): boolean {
  return module instanceof Dense || module instanceof Conv2D || module instanceof BatchNorm || module instanceof LayerNorm;
}

/**
 * Writes the tensors of one leaf layer at `zg` (zerograd prefix) as `torch` (PyTorch prefix). Dense and
 * LoraDense become nn.Linear ((out, in) weights; `asConv` [C, p, p] reshapes them to a Conv2d's
 * (out, C, p, p)); Conv2D nn.Conv2d; BatchNorm nn.BatchNorm1d/2d; LayerNorm nn.LayerNorm.
 */
export function putLeaf(state: TorchState, module: Module, zg: string, torch: string, asConv?: readonly number[]): void {
  const at = (name: string) => dotted(torch, name);
  const from = (name: string) => dotted(zg, name);
  if (module instanceof Dense) {
    const weight = module.weight as Tensor;
    const [inputs, outputs] = weight.shape;
    const lora = module instanceof LoraDense;
    const values = lora ? mergedLoraWeight(module) : weight.data();
    const shape = asConv ? [outputs, ...asConv] : [outputs, inputs];
    const sources = lora ? [from('weight'), from('loraA'), from('loraB')] : [from('weight')];
    state.put(at('weight'), { dtype: 'F32', shape, values: transposed(values, inputs, outputs) }, ...sources);
    if (module.bias) state.put(at('bias'), f32(module.bias), from('bias'));
  } else if (module instanceof Conv2D || module instanceof LayerNorm) {
    state.put(at('weight'), f32(module.weight as Tensor), from('weight'));
    if (module.bias) state.put(at('bias'), f32(module.bias), from('bias'));
  } else if (module instanceof BatchNorm) {
    state.put(at('weight'), f32(module.weight as Tensor), from('weight'));
    state.put(at('bias'), f32(module.bias as Tensor), from('bias'));
    state.put(at('running_mean'), f32(module.runningMean as Tensor), from('runningMean'));
    state.put(at('running_var'), f32(module.runningVar as Tensor), from('runningVar'));
    // zerograd does not count batches; PyTorch reads the count only when momentum is None.
    state.put(at('num_batches_tracked'), { dtype: 'I32', shape: [], values: new Int32Array(1) });
  } else {
    throw new ZerogradError(`export: ${module.constructor.name} at '${zg}' is not a leaf layer`);
  }
}
