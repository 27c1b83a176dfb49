// The program of the inference worker thread (started by InferenceWorker in worker.ts): builds the model
// from the bytes it was given (if any), warms it up, then answers { id, pixels } (a batch) and { id, image }
// (an upload to decode and preprocess) with { id, output } or { id, error }. A failing job is reported, not
// thrown, so one bad batch or image never takes the thread down.
import { parentPort, workerData } from 'node:worker_threads';
import { init } from '../backend/registry.js';
import { modelFromBytes } from '../io/from-bytes.js';
import { DigitClassifier } from './classifier.js';
import { imagePixels, RequestError } from './inputs.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './worker.js';

const port = parentPort;
if (!port) throw new Error('inference-worker.ts runs in a worker thread (see InferenceWorker)');
const setup = workerData as WorkerSetup;
const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

try {
  let classifier: DigitClassifier | null = null;
  if (setup.config && setup.weights) {
    await init(setup.backend, { threads: setup.threads });
    const loaded = modelFromBytes(setup.config, setup.weights, 'inference worker');
    classifier = new DigitClassifier(loaded.model, loaded.config);
    classifier.probabilities(new Float32Array(classifier.features)); // warm-up: the first request should not pay for compilation
  }
  port.on('message', (request: WorkerRequest) => {
    try {
      let output: Float32Array;
      if ('image' in request) output = imagePixels(request.image, request.features, request.maxPixels).pixels;
      else if (classifier) output = classifier.probabilities(request.pixels).slice(); // (count * classes), our own buffer to transfer
      else throw new Error('this worker thread only decodes images (it was started without a model)');
      reply({ type: 'output', id: request.id, output }, [output.buffer as ArrayBuffer]);
    } catch (err) {
      const known = err instanceof RequestError ? { status: err.status, code: err.code } : {};
      reply({ type: 'error', id: request.id, name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err), ...known });
    }
  });
  reply({ type: 'ready' });
} catch (err) {
  reply({ type: 'failed', message: (err as Error).message ?? String(err) });
}
