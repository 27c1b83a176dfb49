// Messages between the page and its fine-tuning worker (finetune-worker.ts).
import type { FewShotProgress, FewShotResult, FewShotStrategy } from '../../src/finetune/few-shot.js';

/** Page -> worker: fine-tune the model in these files on these examples. */
export interface FinetuneRequest {
  config: string;
  weights: Uint8Array;
  examples: { pixels: Float32Array; label: number }[];
  strategy: FewShotStrategy;
  steps: number;
  /** The rehearsal set (replay.bin bytes) mixed in so the model keeps reading other digits, or null. */
  replay: Uint8Array | null;
}

/** Worker -> page. */
export type FinetuneMessage =
  | { type: 'progress'; progress: FewShotProgress }
  | { type: 'done'; result: FewShotResult; files: Record<string, Uint8Array | string> }
  | { type: 'error'; message: string };
