// The rehearsal set the draw-a-digit page mixes into its few-shot fine-tuning (finetune/replay-set.ts),
// for a model trained on the embedded MNIST or Fashion-MNIST: 20 training images per class. The page's
// build writes it to web/dist/model/replay.bin; `zerograd serve` answers /model/replay.bin for its model.
import { loadFashionMnist } from '../data/fashion.js';
import { loadMnist } from '../data/mnist.js';
import { encodeReplaySet } from '../finetune/replay-set.js';

export const REPLAY_FILE = 'replay.bin';
export const REPLAY_PER_CLASS = 20;

/** The replay set for a model whose config.json says `data` ('mnist', 'fashion'), or null for other data. */
export function replaySetFor(data: string | undefined, perClass = REPLAY_PER_CLASS): Uint8Array | null {
  if (data === 'mnist') return encodeReplaySet(loadMnist().train, perClass);
  if (data === 'fashion') return encodeReplaySet(loadFashionMnist().train, perClass);
  return null;
}
