// The HTTP API under hostile load (`node --import tsx bench/reliability-serve.ts`): the server (buildServer, as
// `zerograd serve` builds it, with one inference worker and then with --inference main) listens in a child process
// of this script (which measures its event loop) while a prober here sends GET /healthz every 10 ms, through idle, decompression bombs (three 20000x20000 1-bit PNGs
// at once, 8000x8000), the largest allowed images decoding (2048x2048, and 4096x4096 under a 16 MP limit) and
// 100 connections trickling a body at 1 byte/s. Per case: the event loop's longest stall (monitorEventLoopDelay),
// health p50/p99/max, peak RSS over idle (sampled every 20 ms), time and outcome. Prints Markdown tables.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { init } from '../src/backend/registry.js';
import { loadModel } from '../src/io/model-folder.js';
import { buildServer, type ServerOptions } from '../src/serve/server.js';
import { pngBomb } from '../test/serve/helpers.js';

interface Row { case: string; mainCpuMs: number; loopMaxMs: number; loopP99Ms: number; healthP50: number; healthP99: number; healthMax: number; healthCount: number; peakOverIdleMB: number; seconds: number; outcome: string }

const rssMB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
/** CPU time (user + system, ms) of the server's main thread so far, from /proc (clock ticks of 10 ms). */
const mainThreadCpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const round = (v: number): number => Math.round(v * 10) / 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The server's side: `buildServer(options)` listening, its event-loop delay reset and reported on request. */
async function serve(options: Partial<ServerOptions>): Promise<void> {
  await init('wasm', { threads: 1 });
  const loaded = loadModel(join(import.meta.dirname, '..', 'models', 'mnist-cnn'));
  const { app } = buildServer({ loaded, ...options });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  process.on('message', (message: string) => {
    if (message === 'reset') loop.reset();
    if (message === 'report') process.send?.({ maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 });
    if (message === 'stop') void app.close().then(() => process.exit(0));
  });
  process.send?.({ url });
}

const ask = <T>(child: ChildProcess, message: string): Promise<T> => new Promise((resolve) => { child.once('message', (m) => resolve(m as T)); child.send(message); });

/** Runs `work` while probing health every 10 ms, sampling the server's RSS and its event loop's delay; returns the row. */
async function measure(name: string, url: string, server: ChildProcess, work: () => Promise<string>): Promise<Row> {
  await sleep(300);
  const pid = server.pid as number;
  const idle = rssMB(pid);
  let peak = idle;
  const sampler = setInterval(() => { peak = Math.max(peak, rssMB(pid)); }, 20);
  await ask(server, 'report');
  server.send('reset');
  const cpuBefore = mainThreadCpuMs(pid);
  const latencies: number[] = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const t = performance.now();
      await (await fetch(`${url}/healthz`)).arrayBuffer();
      latencies.push(performance.now() - t);
      await sleep(10);
    }
  })();
  const started = performance.now();
  const outcome = await work();
  const seconds = (performance.now() - started) / 1000;
  probing = false;
  await prober;
  const loop = await ask<{ maxMs: number; p99Ms: number }>(server, 'report');
  const mainCpuMs = mainThreadCpuMs(pid) - cpuBefore;
  clearInterval(sampler);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    case: name, mainCpuMs, loopMaxMs: round(loop.maxMs), loopP99Ms: round(loop.p99Ms), healthP50: round(at(0.5)), healthP99: round(at(0.99)), healthMax: round(at(1)),
    healthCount: sorted.length, peakOverIdleMB: Math.round(peak - idle), seconds: round(seconds), outcome,
  };
}

/** Waves of `parallel` uploads of `file` at once, for `rounds` waves or until `minMs` passed; the answers, counted. */
async function uploads(url: string, file: Buffer, parallel: number, rounds: number, minMs = 0): Promise<string> {
  const seen = new Map<string, number>();
  const started = performance.now();
  for (let r = 0; r < rounds || performance.now() - started < minMs; r++) {
    const answers = await Promise.all(Array.from({ length: parallel }, async () => {
      const res = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: file });
      const body = (await res.json()) as { error?: string };
      return `${res.status}${body.error ? ` ${body.error}` : ''}`;
    }));
    for (const a of answers) seen.set(a, (seen.get(a) ?? 0) + 1);
  }
  return [...seen].map(([k, n]) => `${n}x ${k}`).join(', ');
}

/** `count` connections each sending a body at 1 byte/s; resolves when the server has closed them all. */
async function slowBodies(url: string, count: number): Promise<string> {
  const port = Number(new URL(url).port);
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: count }, () => new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => { received += d.toString(); });
    socket.on('error', () => undefined);
    socket.write('POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n');
    const timer = setInterval(() => socket.write('1'), 1000);
    socket.on('close', () => { clearInterval(timer); resolve(received.slice(0, 12) || 'closed'); });
  })));
  const statuses = new Map<string, number>();
  for (const a of answers) statuses.set(a, (statuses.get(a) ?? 0) + 1);
  return `all ${count} closed after ${((performance.now() - started) / 1000).toFixed(1)} s (${[...statuses].map(([k, n]) => `${n}x ${k}`).join(', ')})`;
}

const serverOptions = process.env.RELIABILITY_SERVER;
if (serverOptions) {
  await serve(JSON.parse(serverOptions) as Partial<ServerOptions>);
} else {
  await main();
}

async function main(): Promise<void> {
const bomb20k = pngBomb(20000, 20000);
const bomb8k = pngBomb(8000, 8000);
const allowed = pngBomb(2048, 2048);
const big = pngBomb(4096, 4096);
// As `zerograd serve` sets them: --timeout 10000 (queue wait, whole request), header deadline 5000.
const base = { timeoutMs: 10_000, requestTimeoutMs: 10_000 } satisfies Partial<ServerOptions>;

async function run(label: string, options: Partial<ServerOptions>, cases: (url: string) => [string, () => Promise<string>][]): Promise<Row[]> {
  const server = fork(process.argv[1], [], { env: { ...process.env, RELIABILITY_SERVER: JSON.stringify({ ...base, ...options }) }, execArgv: process.execArgv });
  const { url } = await new Promise<{ url: string }>((resolve) => server.once('message', (m) => resolve(m as { url: string })));
  await (await fetch(`${url}/healthz`)).arrayBuffer();
  const rows: Row[] = [];
  for (const [name, work] of cases(url)) rows.push({ ...(await measure(name, url, server, work)), case: `${label}: ${name}` });
  server.send('stop');
  await new Promise((r) => server.once('exit', r));
  return rows;
}

const load = loadavg();
const rows: Row[] = [];
for (const [label, worker] of [['1 inference worker', { workers: 1 }], ['--inference main', false]] as const) {
  rows.push(...(await run(label, { worker }, (url) => [
    ['idle', async () => { await sleep(2000); return 'health only'; }],
    [`three 20000x20000 1-bit PNGs (${Math.round(bomb20k.length / 1024)} KB) at once, waves for 2 s`, () => uploads(url, bomb20k, 3, 1, 2000)],
    [`three 8000x8000 1-bit PNGs (${Math.round(bomb8k.length / 1024)} KB) at once, waves for 2 s`, () => uploads(url, bomb8k, 3, 1, 2000)],
    ['three 2048x2048 1-bit PNGs (the largest allowed, decoded) at once, 2 waves', () => uploads(url, allowed, 3, 2)],
    ['100 connections sending a body at 1 byte/s', () => slowBodies(url, 100)],
  ])));
  rows.push(...(await run(`${label}, 16 MP limit`, { worker, maxImagePixels: 4096 * 4096 }, (url) => [
    ['three 4096x4096 1-bit PNGs (decoded) at once', () => uploads(url, big, 3, 1)],
  ])));
}
console.log(`\n${new Date().toISOString()}; load average ${load.map((v) => v.toFixed(2)).join(' ')} before, ${loadavg().map((v) => v.toFixed(2)).join(' ')} after\n`);
console.log('| case | server main-thread CPU (ms) | longest event-loop stall (ms) | loop delay p99 (ms) | health p50 / p99 / max (ms) | health checks | peak RSS over idle (MB) | time (s) | outcome |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.case} | ${r.mainCpuMs} | ${r.loopMaxMs} | ${r.loopP99Ms} | ${r.healthP50} / ${r.healthP99} / ${r.healthMax} | ${r.healthCount} | ${r.peakOverIdleMB} | ${r.seconds} | ${r.outcome} |`);
}
