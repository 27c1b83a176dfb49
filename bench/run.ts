// Benchmark dispatcher: `npm run bench -- <name> [args]` runs bench/<name>.ts, whose `main(args)` does the work;
// with no name (`npm run bench`, `npm run bench -- --quick`) it runs the head-to-head `compare`.
// Each benchmark writes bench/results/<name>.json and its own section of BENCHMARKS.md.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.includes('.tmp'))
  .map((f) => f.slice(0, -3)).sort();
const given = process.argv.slice(2);
const [name, ...args] = given.length === 0 || given[0].startsWith('--') ? ['compare', ...given] : given;
if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args]\n  benchmarks: ${available.join(', ')}${name ? `\n  unknown benchmark: ${name}` : ''}`);
  process.exit(2);
}
const module = (await import(join(here, `${name}.ts`))) as { main?: (args: string[]) => Promise<void> };
if (typeof module.main !== 'function') {
  console.error(`bench/${name}.ts does not export main(args)`);
  process.exit(2);
}
await module.main(args);
