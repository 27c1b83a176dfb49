// runPretraining's errors in terms of its flags: running out of the wasm backend's memory names the
// backbone, the images (views) per step and a smaller --batch-size.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../../src/backend/wasm/index.js';
import { runPretraining } from '../../src/finetune/pretrain-run.js';
import { CpuBackend, setBackend } from '../../src/index.js';
import { tempDir } from '../data/helpers.js';
import { mnistSlice } from '../train/helpers.js';

describe('runPretraining', () => {
  it('says which --batch-size ran out of memory and suggests a smaller one', async () => {
    const dir = tempDir('zerograd-pretrain-run-');
    const backend = await createWasmBackend({ threads: 1, maxMemoryMB: 48 });
    setBackend(backend);
    const { train } = mnistSlice(64, 16);
    const settings = { backbone: 'resnet', objective: 'contrastive', dataset: 'mnist', epochs: 1, batchSize: 32, lr: 0.001, seed: 0, checkpointEvery: 0 } as const;
    try {
      await expect(runPretraining(settings, { description: 'slice', train, normalization: train.normalization, classNames: train.classNames }, { out: join(dir, 'oom'), progress: 'none', log: () => undefined }))
        .rejects.toThrow(/pretraining resnet with 32 images per step \(64 views for contrastive\) ran out of memory \(wasm backend: out of memory .*\); use a smaller --batch-size, e\.g\. 16/);
    } finally {
      setBackend(new CpuBackend());
      backend.dispose();
    }
  });
});
