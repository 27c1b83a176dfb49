// The two ways the page gets answers: zerograd's WebAssembly engine running the model in this tab,
// or the server's HTTP API (POST /v1/predict and /v1/explain). Both take MNIST-style pixels 0-1.
import { init } from '../../src/backend/registry.js';
import { saliency } from '../../src/explain/saliency.js';
import { modelFromBytes } from '../../src/io/from-bytes.js';
import { DigitClassifier, type Prediction } from '../../src/serve/classifier.js';

export interface Engine {
  readonly name: 'browser' | 'api';
  /** Shown to the user. */
  readonly description: string;
  readonly classNames: readonly string[];
  predict(pixels: Float32Array): Promise<Prediction>;
  /** Integrated-gradients saliency of class `label`: (784) signed scores. */
  explain(pixels: Float32Array, label: number): Promise<Float32Array>;
}

const SALIENCY_STEPS = 16;

/** A model folder's two files, as the page downloads or stores them. */
export interface ModelFiles {
  config: string;
  weights: Uint8Array;
  /** The rehearsal set fine-tuning mixes in (replay.bin), where the server has one. */
  replay?: Uint8Array | null;
}

/** Downloads config.json and model.safetensors from `base`, and replay.bin where there is one. */
export async function fetchModelFiles(base: string): Promise<ModelFiles> {
  const [configResponse, weightsResponse] = await Promise.all([fetch(`${base}config.json`), fetch(`${base}model.safetensors`)]);
  if (!configResponse.ok || !weightsResponse.ok) throw new Error(`cannot download the model from ${base} (HTTP ${configResponse.status}/${weightsResponse.status})`);
  const replayResponse = await fetch(`${base}replay.bin`).catch(() => null);
  const replay = replayResponse?.ok ? new Uint8Array(await replayResponse.arrayBuffer()) : null;
  return { config: await configResponse.text(), weights: new Uint8Array(await weightsResponse.arrayBuffer()), replay };
}

/** Runs the model in `files` here, with zerograd's WebAssembly engine; `where` names it in errors. */
export async function browserEngine(files: ModelFiles, threads: number, where: string): Promise<Engine> {
  if (typeof WebAssembly !== 'object') throw new Error('this browser has no WebAssembly');
  await init('wasm', { threads });
  const loaded = modelFromBytes(files.config, files.weights, where);
  const classifier = new DigitClassifier(loaded.model, loaded.config);
  const background = classifier.normalize(new Float32Array(1))[0];
  classifier.probabilities(new Float32Array(classifier.features)); // warm-up
  return {
    name: 'browser',
    description: `in this page (WebAssembly, ${threads} thread${threads > 1 ? 's' : ''}, ${loaded.config.name ?? 'model'})`,
    classNames: classifier.classNames,
    predict: async (pixels) => classifier.predict(pixels)[0],
    explain: async (pixels, label) => saliency(classifier.model, classifier.normalize(pixels), label, { steps: SALIENCY_STEPS, baseline: background }),
  };
}

interface ApiError { message?: string }

async function post<T>(url: string, pixels: Float32Array): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: Array.from(pixels) }) });
  const body = (await response.json()) as T & ApiError;
  if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
  return body;
}

/** Asks the server that served this page. */
export async function apiEngine(base: string): Promise<Engine> {
  const response = await fetch(`${base}v1/model`);
  if (!response.ok) throw new Error(`the API at ${base} is not reachable (HTTP ${response.status})`);
  const model = (await response.json()) as { name: string | null; classNames: string[] };
  return {
    name: 'api',
    description: `via the server's API (${model.name ?? 'model'})`,
    classNames: model.classNames,
    predict: (pixels) => post<Prediction>(`${base}v1/predict`, pixels),
    explain: async (pixels) => Float32Array.from((await post<{ saliency: number[] }>(`${base}v1/explain?steps=${SALIENCY_STEPS}`, pixels)).saliency),
  };
}
