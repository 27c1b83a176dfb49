// The program of the inference worker thread (started by InferenceWorker in worker.ts): builds the model
// from the bytes it was given, warms it up, then answers { id, pixels } with { id, output } or { id, error }.
// A failing batch is reported, not thrown, so one bad batch never takes the thread down.
import { parentPort, workerData } from 'node:worker_threads';
import { init } from '../backend/registry.js';
import { modelFromBytes } from '../io/from-bytes.js';
import { DigitClassifier } from './classifier.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './worker.js';

const port = parentPort;
if (!port) throw new Error('inference-worker.ts runs in a worker thread (see InferenceWorker)');
const setup = workerData as WorkerSetup;
const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

try {
  await init(setup.backend, { threads: setup.threads });
  const loaded = modelFromBytes(setup.config, setup.weights, 'inference worker');
  const classifier = new DigitClassifier(loaded.model, loaded.config);
  classifier.probabilities(new Float32Array(classifier.features)); // warm-up: the first request should not pay for compilation
  port.on('message', (request: WorkerRequest) => {
    try {
      const output = classifier.probabilities(request.pixels).slice(); // (count * classes), our own buffer to transfer
      reply({ type: 'output', id: request.id, output }, [output.buffer]);
    } catch (err) {
      reply({ type: 'error', id: request.id, name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err) });
    }
  });
  reply({ type: 'ready' });
} catch (err) {
  reply({ type: 'failed', message: (err as Error).message ?? String(err) });
}
