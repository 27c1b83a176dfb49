// Deployment benchmark (`npm run bench -- serve [--quick]`): in-process single-image latency and batch
// throughput of the shipped CNN (and the MLP preset), then the HTTP API under concurrent load from a
// second process (autocannon on loopback, bounded by count and time) with memory before and after and
// the CPU time of the server and of autocannon. Writes bench/results/serve.json and the "Deployment"
// section of BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, manualSeed } from '../src/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { encodePng } from '../src/data/image.js';
import { loadModel } from '../src/io/model-folder.js';
import { buildModel, preset } from '../src/models/index.js';
import { DigitClassifier } from '../src/serve/classifier.js';
import { replaceSection, time } from './timing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = join(root, 'models', 'mnist-cnn');
/**
 * Connections of the headline runs. Little's law: connections = throughput x mean latency, so 2,000
 * predictions/s at 32 connections means 16 ms on average, and p99 < 10 ms is impossible there; 8 is
 * the load that target can be met at. The 32-connection run is reported too.
 */
const HEADLINE_CONNECTIONS = 8;
/** Runs of the headline load (the default server, JSON, HEADLINE_CONNECTIONS connections). */
const HEADLINE_RUNS = 3;

interface CpuSplit {
  total: number;
  main: number;
  busiestOther: number;
  rest: number;
}

interface LoadResult {
  name: string;
  /** Where the server runs forward passes (`zerograd serve --inference`). */
  inference: 'worker' | 'main';
  /** Inference worker threads (`--workers`; 0 with --inference main). */
  workers: number;
  connections: number;
  requests: number;
  imagesPerRequest: number;
  predictionsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  non2xx: number;
  seconds: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  /** CPU time over the run divided by its duration (1 = one core busy): the server process (all its threads) and autocannon. */
  serverCores: CpuSplit | null;
  clientCores: number;
  /** 1-minute load average when the measured run started (the machine may be shared). */
  loadAverage: number;
}

// ---- in-process -------------------------------------------------------------------------------

function inProcess(threads: number): { model: string; threads: number; singleMs: number; singleMedianMs: number; batch: number; batchImagesPerSecond: number }[] {
  const test = loadMnist().test!;
  const pixels = Float32Array.from(test.pixels.subarray(0, 256 * 784), (v) => v / 255);
  const { model, config } = loadModel(MODEL);
  manualSeed(1);
  const mlp = buildModel(preset('mlp').architecture);
  const out = [];
  for (const [name, m] of [['mnist-cnn (shipped)', model], ['mlp preset', mlp]] as const) {
    const classifier = new DigitClassifier(m, config);
    const one = pixels.subarray(0, 784);
    const single = time(() => { classifier.probabilities(one); }, 0.2, 7);
    for (const batch of [8, 64, 256]) {
      const x = pixels.subarray(0, batch * 784);
      const t = time(() => { classifier.probabilities(x); }, 0.2, 5);
      out.push({ model: name, threads, singleMs: single.best * 1e3, singleMedianMs: single.median * 1e3, batch, batchImagesPerSecond: batch / t.median });
    }
  }
  return out;
}

// ---- over HTTP ----------------------------------------------------------------------------------

function startServer(threads: number, inference: 'worker' | 'main', workers?: number): Promise<{ child: ChildProcess; url: string }> {
  const args = ['serve', '--model', MODEL, '--port', '0', '--threads', String(threads), '--inference', inference, '--max-queue', '4096', ...(workers === undefined ? [] : ['--workers', String(workers)])];
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${text}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const match = /on (http:\/\/\S+)/.exec(text);
      if (match) { clearTimeout(timer); resolve({ child, url: match[1] }); }
    });
  });
}

async function serverMetrics(url: string): Promise<{ memory: { rssMB: number }; inference: { workers: number } }> {
  return (await (await fetch(`${url}/metrics.json`)).json()) as { memory: { rssMB: number }; inference: { workers: number } };
}

async function rss(url: string): Promise<number> {
  return (await serverMetrics(url)).memory.rssMB;
}

/** CPU seconds (user + system) each thread of a process used so far, by thread id, from /proc; null where there is no /proc. */
function threadCpuSeconds(pid: number | undefined): Map<number, number> | null {
  try {
    const out = new Map<number, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' '); // after "tid (comm) "
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime in clock ticks (USER_HZ = 100)
    }
    return out;
  } catch {
    return null;
  }
}

/** CPU used between two readings, as cores over `seconds`: the whole process, its main thread, its busiest other thread (an inference worker, when there are any), and the rest. */
function cpuSplit(pid: number | undefined, before: Map<number, number> | null, after: Map<number, number> | null, seconds: number): CpuSplit | null {
  if (!before || !after) return null;
  const used = [...after].map(([tid, s]) => [tid, s - (before.get(tid) ?? 0)] as const);
  const total = used.reduce((sum, [, s]) => sum + s, 0);
  const main = used.find(([tid]) => tid === pid)?.[1] ?? 0;
  const busiest = Math.max(0, ...used.filter(([tid]) => tid !== pid).map(([, s]) => s));
  return { total: total / seconds, main: main / seconds, busiestOther: busiest / seconds, rest: (total - main - busiest) / seconds };
}

/**
 * autocannon in its own process: `amount` requests over `connections`, at most `maxSeconds`; the body is sent as raw bytes.
 * Adds `cpuSeconds` (its own CPU time). `sampleInt` is 20 ms because autocannon only notices that `amount` is done at its
 * next sample: with its default of 1 s, every duration was rounded up to a whole second (10,000 requests in 4.2 s read as 5.01 s).
 */
function autocannon(url: string, bodyFile: string, contentType: string, connections: number, amount: number, maxSeconds: number): Promise<Record<string, unknown>> {
  const script = `import autocannon from 'autocannon'; import { readFileSync } from 'node:fs';
const [url, file, type, connections, amount, seconds] = process.argv.slice(1);
const instance = autocannon({ url: url + '/v1/predict', method: 'POST', headers: { 'content-type': type }, body: readFileSync(file),
  connections: Number(connections), amount: Number(amount), timeout: 10, sampleInt: 20 }, (err, result) => {
  if (err) { console.error(err.message); process.exit(1); }
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ ...result, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
});
setTimeout(() => instance.stop(), Number(seconds) * 1000).unref();`;
  const args = ['--input-type=module', '-e', script, url, bodyFile, contentType, String(connections), String(amount), String(maxSeconds)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', () => {
      try { resolve(JSON.parse(out) as Record<string, unknown>); } catch { reject(new Error(`autocannon gave no JSON: ${out.slice(0, 300)}`)); }
    });
  });
}

interface Server {
  child: ChildProcess;
  url: string;
  inference: 'worker' | 'main';
  workers: number;
}

async function load(server: Server, name: string, bodyFile: string, contentType: string, imagesPerRequest: number, connections: number, amount: number): Promise<LoadResult> {
  const { url } = server;
  await autocannon(url, bodyFile, contentType, connections, Math.min(1000, amount), 30); // warm-up
  const rssBeforeMB = await rss(url);
  const loadAverage = loadavg()[0];
  const serverCpuBefore = threadCpuSeconds(server.child.pid);
  const r = await autocannon(url, bodyFile, contentType, connections, amount, 120) as {
    requests: { total: number }; latency: { p50: number; p90: number; p99: number; max: number }; errors: number; non2xx: number; duration: number; cpuSeconds: number;
  };
  const serverCpuAfter = threadCpuSeconds(server.child.pid);
  const rssAfterMB = await rss(url);
  const result: LoadResult = {
    name, inference: server.inference, workers: server.workers, connections, requests: r.requests.total, imagesPerRequest,
    predictionsPerSecond: (r.requests.total - r.non2xx) * imagesPerRequest / r.duration,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors, non2xx: r.non2xx, seconds: r.duration, rssBeforeMB, rssAfterMB,
    serverCores: cpuSplit(server.child.pid, serverCpuBefore, serverCpuAfter, r.duration),
    clientCores: r.cpuSeconds / r.duration, // includes its start-up, which is small next to the run
    loadAverage,
  };
  console.log(result);
  return result;
}

/** Runs `work` against a fresh `zerograd serve --inference <inference> [--workers <workers>]` and stops it (SIGTERM) afterwards. */
async function withServer(inference: 'worker' | 'main', workers: number | undefined, work: (server: Server) => Promise<void>): Promise<void> {
  const { child, url } = await startServer(1, inference, workers);
  try {
    await work({ child, url, inference, workers: (await serverMetrics(url)).inference.workers });
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
  }
}

// ---- main ---------------------------------------------------------------------------------------

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const amount = quick ? 2000 : 10_000;
  const loadBefore = loadavg()[0];
  const tmp = join(root, 'runs', 'bench-serve');
  mkdirSync(tmp, { recursive: true });
  const test = loadMnist().test!;
  const pixels = Array.from(test.pixels.subarray(0, 784), (v) => v / 255);
  const jsonFile = join(tmp, 'one.json');
  writeFileSync(jsonFile, JSON.stringify({ pixels }));
  const batchFile = join(tmp, 'batch16.json');
  writeFileSync(batchFile, JSON.stringify({ pixels: Array.from({ length: 16 }, (_, i) => Array.from(test.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255)) }));
  const pngFile = join(tmp, 'digit.png');
  const rgba = new Uint8Array(84 * 84 * 4);
  for (let i = 0; i < 84 * 84; i++) { const v = 255 - test.pixels[Math.floor(i / 84 / 3) * 28 + Math.floor((i % 84) / 3)]; rgba.set([v, v, v, 255], i * 4); }
  writeFileSync(pngFile, encodePng(rgba, 84, 84, 4));

  await init('wasm', { threads: 1 });
  const local = inProcess(1);
  console.table(local);

  const http: LoadResult[] = [];
  await withServer('worker', undefined, async (server) => { // the default pool of inference workers
    // The headline load three times over (the machine is shared, one run can land on a busy moment).
    for (let run = 0; run < HEADLINE_RUNS; run++) {
      http.push(await load(server, 'JSON, 1 image per request', jsonFile, 'application/json', 1, HEADLINE_CONNECTIONS, amount));
    }
    http.push(await load(server, 'JSON, 1 image per request', jsonFile, 'application/json', 1, 32, amount));
    http.push(await load(server, 'PNG upload (84x84), preprocessed on the server', pngFile, 'image/png', 1, HEADLINE_CONNECTIONS, amount));
    http.push(await load(server, 'JSON batch of 16 images per request', batchFile, 'application/json', 16, HEADLINE_CONNECTIONS, Math.ceil(amount / 16)));
  });
  await withServer('worker', 2, async (server) => {
    http.push(await load(server, 'JSON, 1 image per request', jsonFile, 'application/json', 1, HEADLINE_CONNECTIONS, amount));
  });
  await withServer('main', undefined, async (server) => {
    http.push(await load(server, 'JSON, 1 image per request', jsonFile, 'application/json', 1, HEADLINE_CONNECTIONS, amount));
  });
  const results = {
    date: new Date().toISOString().slice(0, 10), node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length,
    loadAverageBefore: loadBefore, loadAverageAfter: loadavg()[0], quick, inProcess: local, http,
  };
  writeFileSync(join(root, 'bench/results/serve.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeSection(results);
}

function writeSection(r: { date: string; node: string; cpu: string; cores: number; loadAverageBefore: number; loadAverageAfter: number; quick: boolean; inProcess: ReturnType<typeof inProcess>; http: LoadResult[] }): void {
  const f = (v: number, digits = 2): string => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const singles = r.inProcess.filter((x) => x.batch === 64);
  const defaultWorkers = r.http.find((h) => h.inference === 'worker')?.workers ?? 0;
  const body = [
    '## Deployment',
    '',
    `\`npm run bench -- serve${r.quick ? ' --quick' : ''}\` on ${r.cpu}, ${r.cores} cores, Node ${r.node}, ${r.date}; load average ${f(r.loadAverageBefore)} before and ${f(r.loadAverageAfter)} after (the machine is shared: numbers are noisy). The wasm backend with 1 thread; the server is \`zerograd serve\` in its own process, the load comes from autocannon in another process on loopback.`,
    '',
    '### In-process inference (DigitClassifier.probabilities, normalization included)',
    '',
    '| model | 1 image, best (ms) | 1 image, median (ms) | batch 8 (images/s) | batch 64 (images/s) | batch 256 (images/s) |',
    '|---|---|---|---|---|---|',
    ...singles.map((s) => {
      const rate = (batch: number): string => f(r.inProcess.find((x) => x.model === s.model && x.batch === batch)?.batchImagesPerSecond ?? 0, 0);
      return `| ${s.model} | ${f(s.singleMs, 3)} | ${f(s.singleMedianMs, 3)} | ${rate(8)} | ${rate(64)} | ${rate(256)} |`;
    }),
    '',
    '### HTTP API under load (POST /v1/predict, shipped CNN)',
    '',
    `The server runs forward passes in a pool of inference worker threads (\`zerograd serve\`'s default: ${defaultWorkers} worker${defaultWorkers === 1 ? '' : 's'} on these ${r.cores} cores, each with its own wasm engine at 1 thread and its own copy of the model; a micro-batch goes to the least busy one) while its main thread parses HTTP and JSON; the column *workers* says how many. The headline load (JSON, ${HEADLINE_CONNECTIONS} connections) runs ${HEADLINE_RUNS} times on the same server, one row each, since one run can land on a busy moment of the shared machine. The last two rows are the same load with \`--workers 2\` (two inference workers: the default before the forward pass got cheaper) and with \`--inference main\` (forward passes on the event loop). Throughput is requests over autocannon's duration, sampled every 20 ms (its default 1 s sample rounded every run up to a whole second, which read e.g. 2,400/s as 1,996/s). Connections: ${HEADLINE_CONNECTIONS} for the headline runs, because by Little's law (connections = throughput × mean latency) 2,000 predictions/s at 32 connections means a 16 ms mean latency, so p99 < 10 ms cannot hold there; the 32-connection run is reported too. CPU columns: CPU time over the run's duration (1.00 = one core busy): the server process (all threads), its main thread, its busiest other thread (an inference worker; with \`--inference main\`: whichever), and autocannon, which shares the machine's ${r.cores} cores. CPU per prediction is the server's total over predictions/s.`,
    '',
    '| workload | inference | workers | connections | requests | predictions/s | p50 (ms) | p90 (ms) | p99 (ms) | errors | non-2xx | RSS before → after (MB) | server CPU: total / main / busiest worker (cores) | server CPU per prediction (ms) | autocannon CPU (cores) | load avg |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.http.map((h) => {
      const cpu = h.serverCores;
      const split = cpu === null ? 'n/a' : `${f(cpu.total)} / ${f(cpu.main)} / ${f(cpu.busiestOther)}`;
      const perPrediction = cpu === null ? 'n/a' : f(cpu.total / h.predictionsPerSecond * 1000, 3);
      return `| ${h.name} | ${h.inference} | ${h.workers} | ${h.connections} | ${h.requests.toLocaleString('en-US')} | ${f(h.predictionsPerSecond, 0)} | ${h.latencyMs.p50} | ${h.latencyMs.p90} | ${h.latencyMs.p99} | ${h.errors} | ${h.non2xx} | ${f(h.rssBeforeMB, 0)} → ${f(h.rssAfterMB, 0)} | ${split} | ${perPrediction} | ${f(h.clientCores)} | ${f(h.loadAverage)} |`;
    }),
    '',
    'Targets: under 1 ms for one CNN image in-process; at least 2,000 predictions/s with p99 under 10 ms and zero errors over the API; memory flat over 10,000 requests (RSS measured after a 1,000-request warm-up and after the run).',
  ].join('\n');
  const path = join(root, 'BENCHMARKS.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceSection(text, 'deployment', body));
}
