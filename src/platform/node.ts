// Node's built-in modules for code that also runs in browsers. They are fetched at run time with
// process.getBuiltinModule (Node >= 20.16), so no `node:` import reaches a browser bundle; in a browser
// (or an older Node) every function of such a module throws an error that says what needs Node.js.
import type * as NodeBuffer from 'node:buffer';
import type * as Fs from 'node:fs';
import type * as Os from 'node:os';
import type * as Path from 'node:path';
import type * as WorkerThreads from 'node:worker_threads';
import type * as Zlib from 'node:zlib';
import { ZerogradError } from '../errors.js';

interface Builtins {
  buffer: typeof NodeBuffer;
  fs: typeof Fs;
  os: typeof Os;
  path: typeof Path;
  worker_threads: typeof WorkerThreads;
  zlib: typeof Zlib;
}

type GetBuiltin = (id: string) => unknown;
const processObject = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: GetBuiltin } }).process;

/** True under Node.js (not in browsers, even where a bundler defines a `process` shim). */
export const isNode: boolean = typeof processObject?.versions?.node === 'string';

/** A stand-in whose every function throws: what `name` was asked for and why it is not here. */
export function unavailable(name: string): never {
  const why = isNode
    ? `needs Node.js >= 20.16 (process.getBuiltinModule); this is Node ${processObject?.versions?.node}`
    : 'needs Node.js (file system, threads and compression are not available in a browser)';
  return new Proxy({}, {
    get(_target, key) {
      if (typeof key === 'symbol' || key === 'then') return undefined;
      return () => { throw new ZerogradError(`${name}.${key}() ${why}`); };
    },
  }) as never;
}

/** The built-in module `node:<name>`, or (outside Node) an object whose functions throw a clear error. */
export function builtin<K extends keyof Builtins>(name: K): Builtins[K] {
  const get = processObject?.getBuiltinModule;
  if (isNode && typeof get === 'function') return get(name) as Builtins[K]; // 'fs', not 'node:fs': bundlers look for the latter
  return unavailable(name);
}
