// Optimizer base: parameter groups (each with its own learning-rate scale), per-parameter state
// tensors, zeroGrad and a serializable state for exact resume. Subclasses implement updateParam.
import { ZerogradError } from '../errors.js';
import { tensor, zeros } from '../ops/create.js';
import type { Tensor } from '../tensor/tensor.js';

export interface ParamGroup {
  params: readonly Tensor[];
  /** Multiplies the optimizer's learning rate for this group (e.g. 0.1 for a pretrained backbone). */
  lrScale?: number;
}

/** Plain-data optimizer state: step count, learning rate and each parameter's state arrays. */
export interface OptimizerState {
  type: string;
  step: number;
  lr: number;
  slots: Record<string, number[] | null>[];
}

export abstract class Optimizer {
  /** The current base learning rate (schedules change it between steps). */
  lr: number;
  /** Number of completed step() calls. */
  stepCount = 0;
  readonly groups: ParamGroup[];
  private readonly slots = new Map<Tensor, Map<string, Tensor>>();

  constructor(params: readonly Tensor[] | readonly ParamGroup[], lr: number) {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new ZerogradError(`optimizer: learning rate must be a non-negative number, got ${lr}`);
    this.lr = lr;
    const list = params as readonly (Tensor | ParamGroup)[];
    this.groups = list.length > 0 && 'params' in (list[0] as object) && !('shape' in (list[0] as object))
      ? (params as readonly ParamGroup[]).map((g) => ({ ...g }))
      : [{ params: params as readonly Tensor[] }];
  }

  /** Every parameter in group order. */
  parameters(): Tensor[] {
    return this.groups.flatMap((g) => [...g.params]);
  }

  /** Applies one update to every parameter that has a gradient and is trainable. */
  step(): void {
    this.stepCount++;
    for (const group of this.groups) {
      const lr = this.lr * (group.lrScale ?? 1);
      this.updateGroup(group.params.filter((p) => p.grad !== null && p.requiresGrad), lr);
    }
  }

  /** Updates one group's parameters (each has a gradient); by default updateParam on each in turn. */
  protected updateGroup(params: readonly Tensor[], lr: number): void {
    for (const param of params) this.updateParam(param, param.grad as Tensor, lr);
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      if (p.grad !== null) {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  protected abstract updateParam(param: Tensor, grad: Tensor, lr: number): void;

  /** The named state tensor of `param` (zeros on first use, kept across scopes). */
  protected slot(param: Tensor, name: string): Tensor {
    let state = this.slots.get(param);
    if (!state) {
      state = new Map();
      this.slots.set(param, state);
    }
    let value = state.get(name);
    if (!value) {
      value = zeros(param.shape, 'float32', param.backend).keep();
      state.set(name, value);
    }
    return value;
  }

  /** A plain-data snapshot (for checkpoints), at the backend's own precision so that a resume is exact. */
  stateDict(): OptimizerState {
    return {
      type: this.constructor.name,
      step: this.stepCount,
      lr: this.lr,
      slots: this.parameters().map((p) => {
        const state = this.slots.get(p);
        if (!state) return {};
        return Object.fromEntries([...state].map(([k, t]) => [k, Array.from(t.values())]));
      }),
    };
  }

  /** Restores a snapshot taken from an optimizer of the same type over the same parameters. */
  loadStateDict(saved: OptimizerState): void {
    const params = this.parameters();
    if (saved.type !== this.constructor.name) throw new ZerogradError(`optimizer state is for ${saved.type}, this optimizer is ${this.constructor.name}`);
    if (saved.slots.length !== params.length) throw new ZerogradError(`optimizer state has ${saved.slots.length} parameters, this optimizer has ${params.length}`);
    saved.slots.forEach((slots, i) => {
      for (const [name, values] of Object.entries(slots)) {
        if (values === null) continue;
        if (values.length !== params[i].size) throw new ZerogradError(`optimizer state '${name}' of parameter ${i} has ${values.length} values, expected ${params[i].size}`);
      }
    });
    this.stepCount = saved.step;
    this.lr = saved.lr;
    this.slots.clear();
    saved.slots.forEach((slots, i) => {
      const p = params[i];
      const state = new Map<string, Tensor>();
      for (const [name, values] of Object.entries(slots)) {
        if (values !== null) state.set(name, tensor(Float64Array.from(values), { shape: p.shape, backend: p.backend }).keep());
      }
      this.slots.set(p, state);
    });
  }
}
