// Global engine state: the active backend, gradient mode, memory scopes and the global RNG.
// Scopes make memory deterministic: every tensor made inside `scope(fn)` is freed when fn
// returns, except what fn returns and tensors marked with `keep()`.
import type { Backend } from '../backend/backend.js';
// The one layering exception left (eslint.config.js): modules imported directly, as the tests do, default to the
// reference backend; issue 18 part 1 moves this default out of the engine.
// eslint-disable-next-line no-restricted-imports
import { CpuBackend } from '../backend/cpu/cpu-backend.js';
import { Random } from './random.js';

/** What a scope tracks: anything that can be freed and knows whether it must survive. */
export interface Disposable {
  dispose(): void;
  /** Hands the object to garbage collection once it outlives every scope. */
  escape(): void;
  readonly kept: boolean;
  readonly disposed: boolean;
}

interface EngineState {
  backend: Backend | null;
  gradEnabled: boolean;
  scopes: Disposable[][];
  rng: Random;
}

const state: EngineState = {
  backend: null,
  gradEnabled: true,
  scopes: [],
  rng: new Random(0),
};

let makeDefaultBackend: () => Backend = () => new CpuBackend();

/**
 * Sets what getBackend() creates when no backend was chosen with init() or setBackend(). The package entries
 * set it (Node: the wasm backend; browsers: the cpu reference with a one-line warning); modules imported
 * directly default to the cpu reference backend.
 */
export function setDefaultBackend(factory: () => Backend): void {
  makeDefaultBackend = factory;
}

/** The active backend; created by the default factory (see setDefaultBackend) on first use. */
export function getBackend(): Backend {
  if (state.backend === null) state.backend = makeDefaultBackend();
  return state.backend;
}

// ---- two copies of the engine ----
// Tensors, init() and manualSeed() of one copy do not reach another (e.g. `import 'zerograd'` beside
// `import './src/...'`): say so once, naming both, instead of letting work run silently on another backend.
const COPIES = Symbol.for('zerograd.engine.copies');
const copies = ((globalThis as { [COPIES]?: string[] })[COPIES] ??= []);
const thisCopy = import.meta.url;
if (!copies.includes(thisCopy)) {
  copies.push(thisCopy);
  if (copies.length === 2) {
    console.warn(`zerograd: two copies of the engine are loaded (${copies[0]} and ${copies[1]}); each has its own backend, `
      + 'tensors and seed, so init() in one does not set up the other. Import zerograd from one place.');
  }
}

/** Makes `backend` the one new tensors are created on. Existing tensors stay on theirs. */
export function setBackend(backend: Backend): void {
  state.backend = backend;
}

/** True when operations record the graph for backward(). */
export function isGradEnabled(): boolean {
  return state.gradEnabled;
}

/** Runs `fn` without recording gradients (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const previous = state.gradEnabled;
  state.gradEnabled = false;
  try {
    return fn();
  } finally {
    state.gradEnabled = previous;
  }
}

/** True inside scope(fn). */
export function inScope(): boolean {
  return state.scopes.length > 0;
}

/** Called by every new tensor so that the innermost scope can free it. */
export function track(item: Disposable): void {
  const top = state.scopes[state.scopes.length - 1];
  if (top !== undefined) top.push(item);
  else item.escape();
}

/** Collects the tensors (or other disposables) inside a returned value: a tensor, array or plain object. */
function collect(value: unknown, into: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (isDisposable(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, depth + 1);
  }
}

function isDisposable(value: object): value is Disposable {
  return typeof (value as Disposable).dispose === 'function' && 'kept' in value && 'disposed' in value;
}

/**
 * Runs `fn` in a memory scope: tensors created inside are freed when it returns, except the
 * ones it returns (moved to the enclosing scope) and the ones marked with `keep()`.
 * The training loop opens one scope per step, so users rarely call this themselves.
 */
export function scope<T>(fn: () => T): T {
  const items: Disposable[] = [];
  state.scopes.push(items);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    state.scopes.pop();
    for (const item of items) if (!item.kept && !item.disposed) item.dispose();
    throw err;
  }
  state.scopes.pop();
  if (result instanceof Promise) {
    throw new Error('scope: fn must be synchronous (it returned a Promise); await outside the scope');
  }
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  for (const item of items) {
    if (item.disposed || item.kept) continue;
    if (survivors.has(item)) track(item);
    else item.dispose();
  }
  return result;
}

/** The global generator used when no `rng` is passed (initialisers, dropout, shuffling). */
export function globalRandom(): Random {
  return state.rng;
}

/** Re-seeds the global generator: the same seed gives the same weights, masks and batches. */
export function manualSeed(seed: number): void {
  state.rng = new Random(seed);
}
