// Module: the base of every layer and model. It owns named parameters (trainable tensors that
// survive scopes), buffers (state such as batch-norm running averages) and child modules.
import { ShapeError, ZerogradError } from '../errors.js';
import { assign } from '../ops/movement.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export type { Shape } from '../tensor/shape.js';
import type { Shape } from '../tensor/shape.js';

/** JSON description of a layer: its type name plus constructor options. */
export interface LayerConfig {
  type: string;
  [option: string]: unknown;
}

export abstract class Module {
  /** Training mode (dropout active, batch norm uses batch statistics). */
  training = true;
  /** Optional name shown in summaries and used as the parameter-name prefix. */
  name: string | undefined;
  private readonly parameterMap = new Map<string, Tensor>();
  private readonly bufferMap = new Map<string, Tensor>();
  private readonly childMap = new Map<string, Module>();

  /** Computes the output for a batch. */
  abstract forward(x: Tensor): Tensor;

  /** The output shape for an input shape (batch axis excluded), building lazy layers on the way. */
  abstract outputShape(inputShape: Shape): number[];

  /** The layer's JSON config (for saving and for `fromConfig`). */
  abstract config(): LayerConfig;

  /** Same as forward(x). */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }

  /** Registers a trainable tensor under `name` (kept across scopes, requiresGrad on). */
  protected addParameter(name: string, value: Tensor): Tensor {
    value.keep();
    value.requiresGrad = true;
    value.name = name;
    this.parameterMap.set(name, value);
    return value;
  }

  /** Registers non-trainable state (saved with the model, not updated by optimizers). */
  protected addBuffer(name: string, value: Tensor): Tensor {
    value.keep();
    value.name = name;
    this.bufferMap.set(name, value);
    return value;
  }

  protected addChild<M extends Module>(name: string, child: M): M {
    this.childMap.set(name, child);
    return child;
  }

  /** Replaces a registered child (used by LoRA and head replacement). */
  replaceChild(name: string, child: Module): void {
    if (!this.childMap.has(name)) throw new ZerogradError(`replaceChild: no child named '${name}'`);
    this.childMap.set(name, child);
  }

  children(): [string, Module][] {
    return [...this.childMap.entries()];
  }

  /** Every (dotted name, module) pair below and including this one. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.childMap) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, p] of this.parameterMap) out.push([prefix ? `${prefix}.${name}` : name, p]);
    for (const [name, child] of this.childMap) out.push(...child.namedParameters(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, b] of this.bufferMap) out.push([prefix ? `${prefix}.${name}` : name, b]);
    for (const [name, child] of this.childMap) out.push(...child.namedBuffers(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** All parameters (trainable or frozen). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters that currently receive gradients. */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  /** Counts of trainable and total parameter values. */
  countParameters(): { trainable: number; total: number } {
    let trainable = 0;
    let total = 0;
    for (const p of this.parameters()) {
      total += p.size;
      if (p.requiresGrad) trainable += p.size;
    }
    return { trainable, total };
  }

  /** Sets training mode here and in every child. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Inference mode (dropout off, batch norm uses running statistics). */
  eval(): this {
    return this.train(false);
  }

  /** Stops gradients to every parameter (frozen weights do not change in training). */
  freeze(): this {
    for (const p of this.parameters()) p.requiresGrad = false;
    return this;
  }

  unfreeze(): this {
    for (const p of this.parameters()) p.requiresGrad = true;
    return this;
  }

  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      if (p.grad !== null) {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  /** Parameters and buffers by dotted name. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this module's parameters and buffers. Every name must be present with
   * the same shape (strict); nothing is changed unless all checks pass.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, options: { strict?: boolean } = {}): void {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new ShapeError(`loadStateDict: ${missing.length ? `missing tensors: ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected tensors: ${unexpected.join(', ')}` : ''}`);
    }
    for (const [name, target] of own) {
      const source = state.get(name);
      if (source && !sameShape(source.shape, target.shape)) {
        throw new ShapeError(`loadStateDict: '${name}' has shape ${formatShape(source.shape)}, the model expects ${formatShape(target.shape)}`);
      }
    }
    for (const [name, target] of own) {
      const source = state.get(name);
      if (source) assign(target, source);
    }
  }
}
