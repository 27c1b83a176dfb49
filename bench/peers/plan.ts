// What `npm run bench -- compare [--quick]` runs: the peers, and each job's size and time budget.
// Quick mode trains on a slice of the epoch (a few minutes in all); full mode trains one epoch where
// the peer can do it inside its budget and adds time-to-99%. Slow peers get fewer repeats and a
// time cap: their samples/s then come from the steps that ran, and the report says how many.
import type { Job, ModelName } from './protocol.js';

export type PeerName = 'zerograd' | 'zerograd-alt' | 'pytorch' | 'pytorch-1t' | 'tfjs-wasm' | 'tfjs-cpu' | 'jax-js';
/** `pytorch` is the peer (threads = cores); `pytorch-1t` (one thread) shows how much of its speed a busy machine takes away. */
export const PEERS: readonly PeerName[] = ['zerograd', 'pytorch', 'pytorch-1t', 'tfjs-wasm', 'tfjs-cpu', 'jax-js'];
/** zerograd under a second Node binary (`--also-node PATH`), so one run gives a column per Node. */
export const ALT_PEER: PeerName = 'zerograd-alt';

/** Whether a peer is zerograd itself (under the main or the second Node). */
export const isZerograd = (peer: PeerName): boolean => peer === 'zerograd' || peer === 'zerograd-alt';

export const PEER_LABELS: Record<PeerName, string> = {
  zerograd: 'zerograd (wasm)',
  'zerograd-alt': 'zerograd (wasm, second Node)',
  pytorch: 'PyTorch (CPU, OpenBLAS, threads = cores)',
  'pytorch-1t': 'PyTorch (CPU, OpenBLAS, 1 thread)',
  'tfjs-wasm': 'TF.js wasm',
  'tfjs-cpu': 'TF.js cpu',
  'jax-js': 'jax-js wasm',
};

/** Peers that cannot be run here at all, with the reason the report gives. */
export const UNRUNNABLE: Record<string, string> = {
  'TF.js node (tfjs-node)': 'not measured: `@tensorflow/tfjs-node` downloads a native TensorFlow binary at install time, which this offline machine cannot do',
};

/** One job for one peer; `timeoutSeconds` kills the child (reported as not measured). */
export interface PlannedJob {
  id: string;
  peer: PeerName;
  job: Job;
  timeoutSeconds: number;
}

/** The seed recipes: MLP Adam 1e-3 batch 32 on x/255; CNN Adam 1e-3 batch 64 standardized. */
export const RECIPES = {
  mlp: { batchSize: 32, lr: 1e-3, normalize: 'scale' },
  cnn: { batchSize: 64, lr: 1e-3, normalize: 'standardize' },
} as const;

/** zerograd's fastest recipe to 99% (the `cnn-fast` preset): two epochs of one-cycle Adam peaking at 1e-2, batch 64. */
export const TO99_RECIPE = {
  model: 'cnn-fast', batchSize: 64, lr: 0.01, normalize: 'standardize',
  schedule: { type: 'onecycle', pctStart: 0.2 }, scheduleEpochs: 2, evalsPerEpoch: 4,
} as const;

type Speed = 'fast' | 'slow' | 'crawl';

/** How long a peer takes per step, from measurements on this machine (decides repeats and caps). */
function speed(peer: PeerName, model: ModelName): Speed {
  if (isZerograd(peer) || peer.startsWith('pytorch')) return 'fast';
  if (peer === 'jax-js' && model === 'cnn') return 'crawl'; // ~9 s per 64-image step
  if (peer === 'tfjs-wasm' && model === 'mlp') return 'fast';
  return 'slow';
}

export function plan(quick: boolean, peers: readonly PeerName[] = PEERS): PlannedJob[] {
  const jobs: PlannedJob[] = [];
  const seed = 0;
  for (const model of ['mlp', 'cnn'] as const) {
    for (const peer of peers) {
      const s = speed(peer, model);
      const recipe = RECIPES[model];
      const quickSteps = model === 'mlp' ? 300 : 20;
      const steps = s === 'crawl' ? 4 : quick ? quickSteps : null;
      const repeats = s === 'fast' ? 3 : quick ? 1 : s === 'slow' ? 3 : 1;
      const maxSeconds = s === 'fast' ? (quick ? 60 : 900) : s === 'slow' ? (quick ? 20 : 90) : 60;
      // Scoring is a forward pass over the test images: slow peers score fewer so the job fits its budget.
      const evalCount = s === 'crawl' ? 0 : s === 'slow' && model === 'cnn' ? (quick ? 500 : 2000) : quick ? 2000 : 10000;
      jobs.push({
        id: `train-${model}-${peer}`, peer,
        job: { kind: 'train', model, ...recipe, steps, warmupSteps: s === 'crawl' ? 1 : model === 'mlp' ? 5 : 2, maxSeconds, repeats, evalCount, seed },
        timeoutSeconds: repeats * (maxSeconds + (s === 'fast' ? 60 : 180)) + (s === 'crawl' ? 60 : 0) + 120,
      });
    }
  }
  if (!quick) {
    for (const peer of peers.filter((p) => isZerograd(p) || p === 'pytorch')) {
      jobs.push({
        id: `to99-cnn-${peer}`, peer,
        job: { kind: 'to99', ...TO99_RECIPE, target: 0.99, maxEpochs: TO99_RECIPE.scheduleEpochs, maxSeconds: 600, seed },
        timeoutSeconds: 900,
      });
    }
  }
  for (const model of ['mlp', 'cnn'] as const) {
    for (const peer of peers) {
      const s = speed(peer, model);
      const latencyCalls = s === 'crawl' ? 5 : s === 'slow' ? 50 : quick ? 200 : 1000;
      const throughputCalls = s === 'fast' ? (quick ? 3 : 5) : s === 'slow' ? 3 : 1;
      jobs.push({ id: `latency-${model}-${peer}`, peer, job: { kind: 'infer', model, mode: 'latency', calls: latencyCalls, seed }, timeoutSeconds: quick ? 120 : 300 });
      jobs.push({ id: `throughput-${model}-${peer}`, peer, job: { kind: 'infer', model, mode: 'throughput', calls: throughputCalls, seed }, timeoutSeconds: quick ? 120 : 400 });
    }
  }
  const sizes = [256, 512, 1024];
  for (const peer of peers.filter((p) => isZerograd(p) || p === 'pytorch')) {
    jobs.push({ id: `matmul-${peer}`, peer, job: { kind: 'matmul', sizes }, timeoutSeconds: 180 });
  }
  return jobs;
}
