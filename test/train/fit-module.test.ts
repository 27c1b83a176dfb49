// fit(), evaluate() and checkpoints on models that are not chains: a two-branch Module written by hand
// and a ResNet (a Backbone graph with its own head), trained directly, without a Sequential around them.
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Adam } from '../../src/optim/adam.js';
import { Dense, Flatten, Module, ResNet, type LayerConfig } from '../../src/nn/index.js';
import { add, relu } from '../../src/ops/elementwise.js';
import { manualSeed } from '../../src/tensor/engine.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { evaluate, predict } from '../../src/train/evaluate.js';
import { fit } from '../../src/train/fit.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { tempDir } from '../data/helpers.js';
import { mnistSlice, timeless, useCpu } from './helpers.js';

/** flatten -> two Dense branches added -> relu -> Dense(10): a graph, not a chain. */
class TwoBranch extends Module {
  readonly inputShape = [1, 28, 28];
  constructor() {
    super();
    this.addChild('flatten', new Flatten());
    this.addChild('left', new Dense({ units: 16, inputDim: 784 }));
    this.addChild('right', new Dense({ units: 16, inputDim: 784 }));
    this.addChild('out', new Dense({ units: 10, inputDim: 16 }));
  }
  forward(x: Tensor): Tensor {
    const child = (name: string) => this.children().find(([n]) => n === name)?.[1] as Module;
    const h = child('flatten').forward(x);
    return child('out').forward(relu(add(child('left').forward(h), child('right').forward(h))));
  }
  config(): LayerConfig {
    return { type: 'TwoBranch' };
  }
}

describe('fit() on any Module', () => {
  beforeEach(() => useCpu());

  it('trains a two-branch module and evaluates it', async () => {
    const { train, test } = mnistSlice(256, 64);
    manualSeed(0);
    const model = new TwoBranch();
    const before = evaluate(model, test).accuracy;
    const history = await fit(model, train, { epochs: 3, batchSize: 32, optimizer: new Adam(model.parameters(), { lr: 3e-3 }), progress: 'none' });
    expect(history.history[2].loss).toBeLessThan(history.history[0].loss);
    expect(history.history[2].accuracy).toBeGreaterThan(0.6);
    expect(evaluate(model, test).accuracy).toBeGreaterThan(before + 0.3);
    expect(predict(model, test.images.subarray(0, 4 * 784)).predictions).toHaveLength(4);
  });

  it('trains a ResNet with its head directly, and resumes it exactly from a checkpoint', async () => {
    const { train } = mnistSlice(64, 16);
    const dir = tempDir('zerograd-fit-module-');
    const make = () => {
      manualSeed(1);
      const model = new ResNet({ widths: [4, 8], blocksPerStage: 1 });
      return { model, optimizer: new Adam(model.parameters(), { lr: 1e-3 }) };
    };
    const whole = make();
    const full = await fit(whole.model, train, { epochs: 2, batchSize: 16, optimizer: whole.optimizer, progress: 'none', seed: 3 });
    const first = make();
    const path = join(dir, 'mid.ckpt');
    await fit(first.model, train, {
      epochs: 2, batchSize: 16, optimizer: first.optimizer, progress: 'none', seed: 3,
      callbacks: [{ key: 'stop-mid', onBatchEnd: (ctx) => { if (ctx.globalStep === 5) { ctx.saveCheckpoint(path); ctx.stop('callback'); } } }],
    });
    expect(readCheckpoint(path).meta.architecture).toMatchObject({ type: 'ResNet', widths: [4, 8] });
    const second = make();
    const resumed = await fit(second.model, train, { epochs: 2, batchSize: 16, optimizer: second.optimizer, progress: 'none', seed: 3, resumeFrom: path });
    expect(resumed.resumedAt).toEqual({ epoch: 1, stepInEpoch: 1 });
    expect(timeless(resumed.history)).toEqual(timeless(full.history));
    for (const [name, t] of whole.model.stateDict()) expect(Array.from(second.model.stateDict().get(name)!.data()), name).toEqual(Array.from(t.data()));
  });
});
