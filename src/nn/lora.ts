// LoRA (Hu et al., 2021): low-rank adapters on Dense layers, y = xW + b + (alpha/rank)·(xA)B with W and
// b frozen, A (in, rank) random and B (rank, out) zero, so an adapted model starts as the base model;
// Conv2D layers get LoraConv2D (lora-conv.ts). enableLora wraps the layers whose dotted names match a
// pattern; mergeLora folds them back.
import { UsageError } from '../errors.js';
import { rand, zeros } from '../ops/create.js';
import { add, mulScalar } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { assign } from '../ops/movement.js';
import { globalRandom, noGrad } from '../tensor/engine.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Conv2D } from './layers/conv.js';
import { Dense } from './layers/dense.js';
import { Sequential } from './layers/sequential.js';
import { checkConvLoraFits, LoraConv2D } from './lora-conv.js';
import type { LayerConfig, Module } from './module.js';

/** Dotted module names to match: a glob ('*' any run of characters, '?' one; alternatives split by '|'), '/regex/', a RegExp or a list. */
export type ModulePattern = string | RegExp | readonly string[];

/** The default targets of attention models: the query and value projections (the paper's choice). */
export const DEFAULT_LORA_TARGETS = '*.attn.q|*.attn.v';

export interface LoraOptions {
  /** Rank r of the update A·B; 1 <= r <= min(in, out) of every target. */
  rank: number;
  /** The update is scaled by alpha / rank. Default: alpha = rank (scale 1). */
  alpha?: number;
  /** Which Dense and Conv2D layers get adapters. Default: defaultLoraTargets(model). */
  targets?: ModulePattern;
  /** Modules that stay trainable besides the adapters (e.g. 'head'); every other parameter is frozen. */
  trainable?: ModulePattern;
  /** Generator for A (seed or Random). Default: the global one. */
  seed?: number | Random;
}

export interface LoraReport {
  /** Dotted names of the layers that got adapters. */
  layers: string[];
  rank: number;
  alpha: number;
  /** Trainable and total parameter values of the whole model afterwards. */
  trainable: number;
  total: number;
  /** trainable / total. */
  fraction: number;
}

/** Checks that a rank-`rank` adapter fits `layer`; returns its (in, out). */
function checkLoraFits(layer: Dense, rank: number, alpha: number, where: string): [number, number] {
  if (layer.weight === null) throw new UsageError(`LoRA: layer '${where}' has no weights yet; build the model (give it an input shape) first`);
  const [inputs, outputs] = layer.weight.shape;
  if (!Number.isInteger(rank) || rank < 1) throw new UsageError(`LoRA: rank must be a positive integer, got ${rank}`);
  if (rank > Math.min(inputs, outputs)) {
    throw new UsageError(`LoRA: rank ${rank} is larger than layer '${where}' allows: min(in ${inputs}, out ${outputs}) = ${Math.min(inputs, outputs)}`);
  }
  if (!(Number.isFinite(alpha) && alpha > 0)) throw new UsageError(`LoRA: alpha must be a positive number, got ${alpha}`);
  return [inputs, outputs];
}

/** A Dense layer whose frozen weight and bias are the base layer's own tensors, plus adapters loraA and loraB. */
export class LoraDense extends Dense {
  readonly base: Dense;
  readonly rank: number;
  readonly alpha: number;
  /** alpha / rank. */
  readonly scale: number;
  readonly loraA: Tensor;
  readonly loraB: Tensor;

  constructor(base: Dense, options: { rank: number; alpha?: number; rng?: Random; where?: string }) {
    super({ units: base.units, activation: base.activation, useBias: base.useBias, kernelInitializer: base.kernelInitializer });
    const rank = options.rank;
    const alpha = options.alpha ?? rank;
    const [inputs, outputs] = checkLoraFits(base, rank, alpha, options.where ?? 'LoraDense');
    this.base = base;
    this.rank = rank;
    this.alpha = alpha;
    this.scale = alpha / rank;
    this.weight = this.addParameter('weight', base.weight as Tensor);
    this.weight.requiresGrad = false;
    if (base.bias) {
      this.bias = this.addParameter('bias', base.bias);
      this.bias.requiresGrad = false;
    }
    // Kaiming-uniform A as in the reference implementation (bound 1/sqrt(in)); B zero.
    const bound = 1 / Math.sqrt(inputs);
    this.loraA = this.addParameter('loraA', rand([inputs, rank], -bound, bound, options.rng ?? globalRandom()));
    this.loraB = this.addParameter('loraB', zeros([rank, outputs]));
  }

  // (…, in) -> (…, out): xW + b + scale·(xA)B
  override preActivation(x: Tensor): Tensor {
    const y = super.preActivation(x);
    return add(y, mulScalar(matmul(matmul(x, this.loraA), this.loraB), this.scale)); // (…, rank) -> (…, out)
  }

  /** Writes W + scale·A·B into the base weight (in place) and returns the base layer. */
  merge(): Dense {
    noGrad(() => {
      const weight = this.weight as Tensor;
      assign(weight, add(weight, mulScalar(matmul(this.loraA, this.loraB), this.scale)));
    });
    return this.base;
  }

  override config(): LayerConfig {
    return { ...super.config(), type: 'LoraDense', rank: this.rank, alpha: this.alpha, inputDim: this.loraA.shape[0] };
  }
}

// ---------------------------------------------------------------------------------------------

function globToRegExp(glob: string): string {
  return glob.replace(/[.+^${}()[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
}

/** Compiles a ModulePattern into one anchored regular expression over dotted names. */
export function compileModulePattern(pattern: ModulePattern): RegExp {
  if (pattern instanceof RegExp) return pattern;
  if (typeof pattern === 'string') {
    const regex = /^\/(.*)\/([a-z]*)$/.exec(pattern);
    if (regex) {
      try {
        return new RegExp(`^(?:${regex[1]})$`, regex[2]);
      } catch (err) {
        throw new UsageError(`module pattern ${pattern} is not a valid regular expression: ${(err as Error).message}`);
      }
    }
  }
  const alternatives = (typeof pattern === 'string' ? pattern.split('|') : [...pattern]).map((p) => p.trim()).filter((p) => p.length > 0);
  if (alternatives.length === 0) throw new UsageError(`module pattern ${JSON.stringify(pattern)} is empty`);
  return new RegExp(`^(?:${alternatives.map(globToRegExp).join('|')})$`);
}

function describePattern(pattern: ModulePattern): string {
  return pattern instanceof RegExp ? String(pattern) : typeof pattern === 'string' ? `'${pattern}'` : JSON.stringify(pattern);
}

/** Every (dotted name, module) whose name matches `pattern` (the root, named '', never does). */
export function matchModules(model: Module, pattern: ModulePattern): [string, Module][] {
  const regex = compileModulePattern(pattern);
  return model.namedModules().filter(([name]) => name !== '' && regex.test(name));
}

/** A layer with a LoRA adapter. */
export type LoraLayer = LoraDense | LoraConv2D;

/** The adapted layers of a model. */
export function loraLayers(model: Module): [string, LoraLayer][] {
  return model.namedModules().filter((entry): entry is [string, LoraLayer] => entry[1] instanceof LoraDense || entry[1] instanceof LoraConv2D);
}

/**
 * The default targets of `model`: '*.attn.q|*.attn.v' when it has attention projections, else its
 * 3x3 Conv2D layers below the top level (in a ResNet, the residual blocks' convolutions, not the stem),
 * as globs over the first and last name segments ('stages.*.conv1|stages.*.conv2') when they match
 * exactly those layers, else their names.
 */
export function defaultLoraTargets(model: Module): string {
  if (matchModules(model, DEFAULT_LORA_TARGETS).some(([, m]) => m instanceof Dense)) return DEFAULT_LORA_TARGETS;
  const convs = model.namedModules().filter(([name, m]) => name.includes('.') && m instanceof Conv2D && m.kernelSize === 3).map(([name]) => name);
  if (convs.length === 0) return DEFAULT_LORA_TARGETS; // enableLora then says which layers there are
  const globs = [...new Set(convs.map((name) => {
    const parts = name.split('.');
    return parts.length > 2 ? `${parts[0]}.*.${parts[parts.length - 1]}` : name;
  }))];
  const matched = matchModules(model, globs).map(([name]) => name);
  return matched.length === convs.length && matched.every((name, i) => name === convs[i]) ? globs.join('|') : convs.join('|');
}

/** Puts `replacement` where the module called `name` sits (keeping Sequential's layer list in step). */
function replaceModule(model: Module, name: string, replacement: Module): void {
  const dot = name.lastIndexOf('.');
  const [parentName, key] = dot < 0 ? ['', name] : [name.slice(0, dot), name.slice(dot + 1)];
  const parent = model.namedModules().find(([n]) => n === parentName)?.[1] as Module;
  parent.replaceChild(key, replacement);
  if (parent instanceof Sequential) parent.layers[Number(key)] = replacement;
}

/**
 * Wraps every Dense (Conv2D) layer whose dotted name matches `targets` in a LoraDense (LoraConv2D) and
 * freezes all other parameters except those of `trainable` modules. Throws when LoRA is already
 * enabled, when the pattern matches no such layer (listing those available) or when the rank does not fit a layer.
 */
export function enableLora(model: Module, options: LoraOptions): LoraReport {
  const existing = loraLayers(model);
  if (existing.length > 0) {
    throw new UsageError(`LoRA is already enabled on ${existing.length} layer(s) (${existing.map(([n]) => n).join(', ')}); call mergeLora(model) before enabling it again`);
  }
  const targets = options.targets ?? defaultLoraTargets(model);
  const adaptable = (m: Module): m is Dense | Conv2D => m instanceof Dense || m instanceof Conv2D;
  const matched = matchModules(model, targets);
  const layers = matched.filter((entry): entry is [string, Dense | Conv2D] => adaptable(entry[1]));
  if (layers.length === 0) {
    const available = model.namedModules().filter(([n, m]) => n !== '' && adaptable(m)).map(([n]) => n);
    const others = matched.length > 0 ? ` (it matches ${matched.slice(0, 5).map(([n, m]) => `${n} (${m.constructor.name})`).join(', ')}, which are not Dense or Conv2D layers)` : '';
    throw new UsageError(`LoRA targets ${describePattern(targets)} match no Dense or Conv2D layer${others}; Dense and Conv2D layers in this model: ${available.join(', ') || 'none'}`);
  }
  // Every check runs before the model changes, so a failed call leaves it untouched.
  const alpha = options.alpha ?? options.rank;
  for (const [name, layer] of layers) {
    if (layer instanceof Conv2D) checkConvLoraFits(layer, options.rank, alpha, name);
    else checkLoraFits(layer, options.rank, alpha, name);
  }
  const keep = options.trainable === undefined ? [] : matchModules(model, options.trainable);
  if (options.trainable !== undefined && keep.length === 0) {
    throw new UsageError(`LoRA: trainable pattern ${describePattern(options.trainable)} matches no module; top-level modules: ${model.children().map(([n]) => n).join(', ')}`);
  }
  const rng = options.seed === undefined ? globalRandom() : typeof options.seed === 'number' ? new Random(options.seed) : options.seed;
  const adapters = layers.map(([name, layer]) => {
    const adapterOptions = { rank: options.rank, alpha: options.alpha, rng, where: name };
    return [name, layer instanceof Conv2D ? new LoraConv2D(layer, adapterOptions) : new LoraDense(layer, adapterOptions)] as const;
  });
  model.freeze();
  for (const [, module] of keep) module.unfreeze();
  for (const [name, adapter] of adapters) {
    replaceModule(model, name, adapter);
    adapter.training = adapter.base.training;
    (adapter.weight as Tensor).requiresGrad = false;
    if (adapter.bias) adapter.bias.requiresGrad = false;
    adapter.loraA.requiresGrad = true;
    adapter.loraB.requiresGrad = true;
  }
  const { trainable, total } = model.countParameters();
  const first = adapters[0][1];
  return { layers: adapters.map(([n]) => n), rank: first.rank, alpha: first.alpha, trainable, total, fraction: trainable / total };
}

/**
 * Folds every adapter into its base weight (W += alpha/rank · A·B) and puts the plain Dense or Conv2D
 * layer back, so the model has its original architecture and state-dict names; frees the adapters.
 * Returns the merged layer names. Outputs are unchanged up to rounding.
 */
export function mergeLora(model: Module): string[] {
  const layers = loraLayers(model);
  if (layers.length === 0) throw new UsageError('mergeLora: the model has no LoRA adapters (enableLora was not called, or they were merged already)');
  for (const [name, adapter] of layers) {
    const base = adapter.merge();
    replaceModule(model, name, base);
    adapter.loraA.dispose();
    adapter.loraB.dispose();
  }
  return layers.map(([n]) => n);
}
