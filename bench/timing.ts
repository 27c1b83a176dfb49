// Timing helpers shared by benchmarks: warm up, then the best and median of several timed samples; a probe that
// times every backend call (per method, and per matmul shape).
import type { Backend, MatmulParams } from '../src/backend/backend.js';

export interface Timing {
  /** Seconds per call, best sample. */
  best: number;
  /** Seconds per call, median sample. */
  median: number;
}

/** Times `fn` over `samples` samples of about `sampleSeconds` each, after a warm-up. */
export function time(fn: () => void, sampleSeconds = 0.08, samples = 5): Timing {
  for (let i = 0; i < 3; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed >= sampleSeconds / 4 || reps >= 1 << 20) {
      reps = Math.max(1, Math.round(reps * sampleSeconds / Math.max(elapsed, 1e-6)));
      break;
    }
    reps *= 4;
  }
  const perCall: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    perCall.push((performance.now() - t0) / 1000 / reps);
  }
  perCall.sort((a, b) => a - b);
  return { best: perCall[0], median: perCall[Math.floor(perCall.length / 2)] };
}

/** Replaces (or appends) the section between `<!-- name:start -->` and `<!-- name:end -->` in a markdown file's text. */
export function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) return text.slice(0, i) + block + text.slice(j + end.length);
  return `${text.trimEnd()}${text.trim() ? '\n\n' : ''}${block}\n`;
}

/** Wall time summed over calls; `flop` is counted for matmuls only. */
export interface Tally { ms: number; calls: number; flop: number }

/** A backend wrapped so every call's wall time is summed per method, and per shape for matmul. */
export interface BackendProbe {
  backend: Backend;
  kernels: Map<string, Tally>;
  shapes: Map<string, Tally>;
  /** Milliseconds inside backend calls since the last reset. */
  totalMs(): number;
  reset(): void;
}

export function instrumentBackend(backend: Backend): BackendProbe {
  const kernels = new Map<string, Tally>();
  const shapes = new Map<string, Tally>();
  const add = (map: Map<string, Tally>, key: string, ms: number, flop: number) => {
    const t = map.get(key) ?? { ms: 0, calls: 0, flop: 0 };
    t.ms += ms; t.calls++; t.flop += flop;
    map.set(key, t);
  };
  const proxy = new Proxy(backend, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'memoryInUse') return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const result = fn.apply(target, args);
        const ms = performance.now() - t0;
        add(kernels, String(prop), ms, 0);
        if (prop === 'matmul') {
          const p = args[3] as MatmulParams;
          const name = `${p.batch > 1 ? `${p.batch} x ` : ''}(${p.m} x ${p.k}) @ (${p.k} x ${p.n})${p.transA ? ' transA' : ''}${p.transB ? ' transB' : ''}`;
          add(shapes, name, ms, 2 * p.batch * p.m * p.n * p.k);
        }
        return result;
      };
    },
  });
  return {
    backend: proxy, kernels, shapes,
    totalMs: () => [...kernels.values()].reduce((sum, t) => sum + t.ms, 0),
    reset: () => { kernels.clear(); shapes.clear(); },
  };
}
