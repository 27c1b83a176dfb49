// Where the zerograd package lives (a clone or node_modules/zerograd) and what it ships: its version and the
// model folders under models/, which `--model NAME` and the finetune defaults resolve against.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding zerograd's package.json above this module (src/ or dist/src/), else the working directory. */
export function packageRoot(): string {
  root ??= findPackageRoot();
  return root;
}

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'zerograd') return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** zerograd's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** A model folder shipped with the package (e.g. 'mnist-cnn' -> <package>/models/mnist-cnn). */
export function shippedModel(name: string): string {
  return join(packageRoot(), 'models', name);
}

/** The names of the shipped model folders (those under models/ with a config.json). */
export function shippedModelNames(): string[] {
  const dir = join(packageRoot(), 'models');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => existsSync(join(dir, name, 'config.json'))).sort();
}

const isDir = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/**
 * Resolves a `--model`/`--from` folder: the path as given when it exists; else a shipped model by name
 * ('mnist-cnn') or by its path in a clone ('models/mnist-cnn'), so the README's commands also work where
 * zerograd is installed as a package. Returns null when none exists.
 */
export function resolveModelDir(value: string): string | null {
  if (isDir(value)) return value;
  if (isAbsolute(value)) return null;
  const candidates = [shippedModel(value), join(packageRoot(), value)];
  return candidates.find((path) => isDir(path) && existsSync(join(path, 'config.json'))) ?? null;
}
