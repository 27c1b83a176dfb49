// Deployment benchmark (`npm run bench -- serve [--quick]`): in-process single-image latency and batch
// throughput of the shipped CNN (and the MLP preset), then the HTTP API under concurrent load from a
// second process (autocannon on loopback, bounded by count and time) with memory before and after.
// Writes bench/results/serve.json and the "Deployment" section of BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

interface LoadResult {
  name: string;
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
    for (const batch of [64, 256]) {
      const x = pixels.subarray(0, batch * 784);
      const t = time(() => { classifier.probabilities(x); }, 0.2, 5);
      out.push({ model: name, threads, singleMs: single.best * 1e3, singleMedianMs: single.median * 1e3, batch, batchImagesPerSecond: batch / t.median });
    }
  }
  return out;
}

// ---- over HTTP ----------------------------------------------------------------------------------

function startServer(threads: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), 'serve', '--model', MODEL, '--port', '0', '--threads', String(threads), '--max-queue', '4096'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
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

async function rss(url: string): Promise<number> {
  return ((await (await fetch(`${url}/metrics`)).json()) as { memory: { rssMB: number } }).memory.rssMB;
}

/** autocannon in its own process: `amount` requests over `connections`, at most `maxSeconds`; the body is sent as raw bytes. */
function autocannon(url: string, bodyFile: string, contentType: string, connections: number, amount: number, maxSeconds: number): Promise<Record<string, unknown>> {
  const script = `import autocannon from 'autocannon'; import { readFileSync } from 'node:fs';
const [url, file, type, connections, amount, seconds] = process.argv.slice(1);
const instance = autocannon({ url: url + '/v1/predict', method: 'POST', headers: { 'content-type': type }, body: readFileSync(file),
  connections: Number(connections), amount: Number(amount), timeout: 10 }, (err, result) => {
  if (err) { console.error(err.message); process.exit(1); }
  console.log(JSON.stringify(result));
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

async function load(url: string, name: string, bodyFile: string, contentType: string, imagesPerRequest: number, connections: number, amount: number): Promise<LoadResult> {
  await autocannon(url, bodyFile, contentType, connections, Math.min(1000, amount), 30); // warm-up
  const rssBeforeMB = await rss(url);
  const r = await autocannon(url, bodyFile, contentType, connections, amount, 120) as {
    requests: { total: number }; latency: { p50: number; p90: number; p99: number; max: number }; errors: number; non2xx: number; duration: number;
  };
  const rssAfterMB = await rss(url);
  return {
    name, connections, requests: r.requests.total, imagesPerRequest,
    predictionsPerSecond: (r.requests.total - r.non2xx) * imagesPerRequest / r.duration,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors, non2xx: r.non2xx, seconds: r.duration, rssBeforeMB, rssAfterMB,
  };
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
  const { child, url } = await startServer(1);
  try {
    http.push(await load(url, 'JSON, 1 image per request', jsonFile, 'application/json', 1, 32, amount));
    console.log(http[http.length - 1]);
    http.push(await load(url, 'PNG upload (84x84), preprocessed on the server', pngFile, 'image/png', 1, 32, amount));
    console.log(http[http.length - 1]);
    http.push(await load(url, 'JSON batch of 16 images per request', batchFile, 'application/json', 16, 8, Math.ceil(amount / 16)));
    console.log(http[http.length - 1]);
  } finally {
    child.kill('SIGTERM');
  }
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
  const body = [
    '## Deployment',
    '',
    `\`npm run bench -- serve${r.quick ? ' --quick' : ''}\` on ${r.cpu}, ${r.cores} cores, Node ${r.node}, ${r.date}; load average ${f(r.loadAverageBefore)} before and ${f(r.loadAverageAfter)} after (the machine is shared: numbers are noisy). The wasm backend with 1 thread; the server is \`zerograd serve\` in its own process, the load comes from autocannon in another process on loopback.`,
    '',
    '### In-process inference (DigitClassifier.probabilities, normalization included)',
    '',
    '| model | 1 image, best (ms) | 1 image, median (ms) | batch 64 (images/s) | batch 256 (images/s) |',
    '|---|---|---|---|---|',
    ...singles.map((s) => {
      const b256 = r.inProcess.find((x) => x.model === s.model && x.batch === 256);
      return `| ${s.model} | ${f(s.singleMs, 3)} | ${f(s.singleMedianMs, 3)} | ${f(s.batchImagesPerSecond, 0)} | ${f(b256?.batchImagesPerSecond ?? 0, 0)} |`;
    }),
    '',
    '### HTTP API under load (POST /v1/predict, shipped CNN)',
    '',
    '| workload | connections | requests | predictions/s | p50 (ms) | p90 (ms) | p99 (ms) | errors | non-2xx | RSS before → after (MB) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.http.map((h) => `| ${h.name} | ${h.connections} | ${h.requests.toLocaleString('en-US')} | ${f(h.predictionsPerSecond, 0)} | ${h.latencyMs.p50} | ${h.latencyMs.p90} | ${h.latencyMs.p99} | ${h.errors} | ${h.non2xx} | ${f(h.rssBeforeMB, 0)} → ${f(h.rssAfterMB, 0)} |`),
    '',
    'Targets: under 1 ms for one CNN image in-process; at least 2,000 predictions/s with p99 under 10 ms and zero errors over the API; memory flat over 10,000 requests (RSS measured after a 1,000-request warm-up and after the run).',
  ].join('\n');
  const path = join(root, 'BENCHMARKS.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceSection(text, 'deployment', body));
}
