// The page's fine-tuning worker: loads the model from its files, fine-tunes it on the visitor's
// drawings with zerograd's WebAssembly engine (one thread, off the page's main thread, so drawing and
// predicting stay responsive), reports every step, and sends back the new model folder's files.
import { init } from '../../src/backend/registry.js';
import { fineTuneFewShot } from '../../src/finetune/few-shot.js';
import { decodeReplaySet } from '../../src/finetune/replay-set.js';
import { modelFromBytes, modelToBytes } from '../../src/io/from-bytes.js';
import type { FinetuneMessage, FinetuneRequest } from './finetune-protocol.js';

const post = (message: FinetuneMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

self.onmessage = async (event: MessageEvent<FinetuneRequest>) => {
  const { config, weights, examples, strategy, steps, replay } = event.data;
  try {
    await init('wasm', { threads: 1 });
    const loaded = modelFromBytes(config, weights, 'model');
    const result = await fineTuneFewShot(loaded.model, loaded.config, examples, {
      strategy, steps, seed: 0, replay: replay ? decodeReplaySet(replay, 'model/replay.bin') : [], onProgress: (progress) => post({ type: 'progress', progress }),
    });
    const name = `${loaded.config.name ?? 'model'}${loaded.config.name?.endsWith('-personal') ? '' : '-personal'}`;
    const files = modelToBytes(loaded.model, { ...loaded.config, name }, {
      fewShot: {
        strategy: result.strategy, examples: examples.length, replay: replay ? 'model/replay.bin' : null, train: result.trainCount, heldOut: result.heldOutCount,
        heldOutAccuracyBefore: result.before.accuracy, heldOutAccuracyAfter: result.after.accuracy, steps: result.steps, seconds: result.seconds,
        base: loaded.config.name ?? null, savedAt: new Date().toISOString(),
      },
    });
    post({ type: 'done', result, files });
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
};
