// The built web page (web/dist) held in memory and served with the headers that WebAssembly threads
// need in browsers (cross-origin isolation: COOP + COEP), plus locating web/dist from this module.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file ready to send. */
export interface StaticFile {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream', '.map': 'application/json; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
};

/** Headers that make the page cross-origin isolated (SharedArrayBuffer, shared WebAssembly memory). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
});

/** Every file under `dir` by URL path ('/index.html', '/assets/x.js'); the model folder inside is skipped (the server serves its own). */
export function loadStaticDir(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      const url = `/${relative(dir, path).split(sep).join('/')}`;
      if (url === '/model') continue;
      if (statSync(path).isDirectory()) walk(path);
      else files.set(url, { body: readFileSync(path), type: TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream' });
    }
  };
  walk(dir);
  return files;
}

/** The built page folder (web/dist with an index.html) of this checkout, or null when it was not built. */
export function findWebDist(): string | null {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(folder, 'web', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (existsSync(join(folder, 'package.json'))) return null;
    folder = dirname(folder);
  }
  return null;
}
