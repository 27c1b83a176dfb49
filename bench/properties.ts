// Long property-based runs of every parser: finds test/properties/*.props.ts at run time and runs each property
// for --runs cases (default 100000; the CI tests run 200). Prints cases, time and failures per property and writes
// bench/results/properties/<parser>.json. Run: npm run bench -- properties [--runs N] [--only idx,csv]
// [--time-limit SECONDS per property: stop there and report the cases run] [--seed N]
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { NamedProperty } from '../test/properties/property.js';

const here = dirname(fileURLToPath(import.meta.url));
const propsDir = join(here, '..', 'test', 'properties');
const resultsDir = join(here, 'results', 'properties');

interface Row { name: string; cases: number; seconds: number; failures: number; interrupted: boolean; counterexample?: string }

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${text}'`);
  return n;
}

/** Runs one property; a failure is counted (fast-check stops at the first and shrinks it), not thrown. */
async function runProperty(p: NamedProperty, numRuns: number, seed: number, timeLimitMs: number): Promise<Row> {
  const started = performance.now();
  const details = await fc.check(p.property, { numRuns, seed, interruptAfterTimeLimit: timeLimitMs });
  const seconds = (performance.now() - started) / 1000;
  const failures = details.failed ? 1 : 0;
  const counterexample = details.failed ? `${fc.stringify(details.counterexample)} (${String(details.errorInstance ?? 'returned false').slice(0, 300)})` : undefined;
  return { name: p.name, cases: details.numRuns, seconds, failures, interrupted: details.interrupted, counterexample };
}

/** `npm run bench -- properties [...]`. */
export async function main(args: string[]): Promise<void> {
  const numRuns = Math.floor(positive(flag(args, '--runs'), '--runs', 100_000));
  const seed = Math.floor(positive(flag(args, '--seed'), '--seed', 42));
  const timeLimitMs = positive(flag(args, '--time-limit'), '--time-limit', 1e9) * 1000;
  const only = flag(args, '--only')?.split(',');
  const files = readdirSync(propsDir).filter((f) => f.endsWith('.props.ts')).sort()
    .filter((f) => !only || only.includes(f.slice(0, -'.props.ts'.length)));
  if (files.length === 0) throw new Error(`no test/properties/*.props.ts matched${only ? ` --only ${only.join(',')}` : ''}`);
  mkdirSync(resultsDir, { recursive: true });
  console.log(`property runs: ${numRuns} cases per property, seed ${seed}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${'parser'.padEnd(12)} ${'property'.padEnd(58)} ${'cases'.padStart(8)} ${'time'.padStart(9)} ${'rate/s'.padStart(8)}  failures`);
  let failed = 0;
  let interrupted = false;
  for (const file of files) {
    const parser = file.slice(0, -'.props.ts'.length);
    const { properties } = (await import(join(propsDir, file))) as { properties: NamedProperty[] };
    const rows: Row[] = [];
    for (const p of properties) {
      const row = await runProperty(p, numRuns, seed, timeLimitMs);
      rows.push(row);
      failed += row.failures;
      interrupted ||= row.interrupted;
      const cases = `${row.cases}${row.interrupted ? '*' : ''}`;
      console.log(`${parser.padEnd(12)} ${p.name.padEnd(58)} ${cases.padStart(8)} ${`${row.seconds.toFixed(1)} s`.padStart(9)} ${(row.cases / row.seconds).toFixed(0).padStart(8)}  ${row.failures}${row.counterexample ? `  ${row.counterexample}` : ''}`);
    }
    const record = { parser, numRuns, seed, timeLimitSeconds: timeLimitMs / 1000, node: process.version, date: new Date().toISOString(), loadavg: loadavg(), properties: rows };
    writeFileSync(join(resultsDir, `${parser}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }
  if (interrupted) console.log('* stopped by --time-limit before --runs');
  console.log(`results in ${resultsDir}`);
  if (failed > 0) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
