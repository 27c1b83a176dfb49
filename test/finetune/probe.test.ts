// The pretraining report's evaluation: k-NN and the linear probe reach high accuracy on separable
// synthetic features and chance on random labels; the vote rules; features are extracted in
// inference mode without changing the backbone; evaluateFeatures on a micro ResNet.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { mnistSlice } from '../train/helpers.js';
import { evaluateFeatures, extractFeatures, featureSpread, knnAccuracy, knnPredict, linearProbe, type Features } from '../../src/finetune/probe.js';

/** `count` points around 10 random class centres in `dim` dimensions (noise std `noise`), labels i % 10 or random. */
function clusters(count: number, options: { dim?: number; noise?: number; seed: number; randomLabels?: boolean; centres?: Float64Array }): Features & { centres: Float64Array } {
  const dim = options.dim ?? 16;
  const rng = new zg.Random(options.seed);
  const centres = options.centres ?? Float64Array.from({ length: 10 * dim }, () => rng.normal());
  const values = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const cls = i % 10;
    labels[i] = options.randomLabels ? rng.int(10) : cls;
    for (let j = 0; j < dim; j++) values[i * dim + j] = centres[cls * dim + j] + (options.noise ?? 0.3) * rng.normal() + 3; // offset: cosine needs more than the centre's direction
  }
  return { values, count, dim, labels, centres };
}

describe('k-NN and linear probe on frozen features', () => {
  it('reach high accuracy on separable clusters, with all labels and with 10 per class', () => {
    zg.setBackend(new zg.CpuBackend());
    const train = clusters(2000, { seed: 1 });
    const test = clusters(500, { seed: 2, centres: train.centres });
    expect(knnAccuracy(train, test)).toBeGreaterThan(0.97);
    expect(knnAccuracy(train, test, { vote: 'majority' })).toBeGreaterThan(0.97);
    const few = { ...train, count: 100, values: train.values.subarray(0, 100 * train.dim), labels: train.labels.slice(0, 100) };
    expect(knnAccuracy(few, test)).toBeGreaterThan(0.95);
    const all = linearProbe(train, test, { epochs: 40 });
    expect(all.accuracy).toBeGreaterThan(0.97);
    expect(all.steps).toBe(40 * Math.ceil(2000 / 256));
    const probeFew = linearProbe(few, test, { standardizeWith: train });
    expect(probeFew.accuracy).toBeGreaterThan(0.95);
    expect(probeFew.steps).toBe(300);
  });

  it('score chance on random labels', () => {
    zg.setBackend(new zg.CpuBackend());
    const train = clusters(2000, { seed: 3, randomLabels: true });
    const test = clusters(1000, { seed: 4, centres: train.centres, randomLabels: true });
    expect(knnAccuracy(train, test)).toBeLessThan(0.16);
    const probe = linearProbe(train, test);
    expect(probe.accuracy).toBeLessThan(0.16);
    expect(probe.trainAccuracy).toBeLessThan(0.3); // 16 dimensions cannot memorise 2,000 random labels
  });

  it('feature spread: 0 when collapsed, about 1 for isotropic directions', () => {
    const rng = new zg.Random(7);
    const isotropic: Features = { values: Float32Array.from({ length: 4000 * 16 }, () => rng.normal()), count: 4000, dim: 16, labels: new Int32Array(4000) };
    expect(featureSpread(isotropic)).toBeGreaterThan(0.95);
    expect(featureSpread(isotropic)).toBeLessThan(1.01);
    const collapsed: Features = { values: Float32Array.from({ length: 100 * 16 }, (_, i) => (1 + Math.floor(i / 16)) * (1 + (i % 16))), count: 100, dim: 16, labels: new Int32Array(100) };
    expect(featureSpread(collapsed)).toBeLessThan(1e-6); // one direction, different lengths
  });

  it('weighted votes follow similarity, majority votes count neighbours', () => {
    zg.setBackend(new zg.CpuBackend());
    // One reference of class 1 along the query; two of class 0 at 60 degrees.
    const reference: Features = { values: Float32Array.from([1, 0, 0.5, 0.866, 0.5, -0.866]), count: 3, dim: 2, labels: [1, 0, 0] };
    const query: Features = { values: Float32Array.from([1, 0]), count: 1, dim: 2, labels: [1] };
    expect(Array.from(knnPredict(reference, query, { k: 3 }))).toEqual([1]);
    expect(Array.from(knnPredict(reference, query, { k: 3, vote: 'majority' }))).toEqual([0]);
    expect(Array.from(knnPredict(reference, query, { k: 1, vote: 'majority' }))).toEqual([1]);
    expect(() => knnPredict(reference, { ...query, dim: 3, values: new Float32Array(3) })).toThrow(/reference features have 2 dimensions, queries 3/);
  });

  it('extract features in inference mode and leave the backbone as it was', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(5);
    const net = new zg.ResNet({ widths: [3, 4], blocksPerStage: 1 });
    net.train();
    const images = Float32Array.from({ length: 3 * 784 }, (_, i) => (i % 7) / 7);
    const data = { name: 'x', images, labels: Uint8Array.from([0, 1, 2]), count: 3, rows: 28, cols: 28, shape: [3, 1, 28, 28], classNames: ['0', '1', '2'], normalization: { kind: 'scale', mean: 0, std: 1 } } as Dataset;
    const before = net.stateDict();
    const features = extractFeatures(net, data, 2);
    expect(features.dim).toBe(4);
    expect(net.training).toBe(true);
    for (const [name, t] of net.stateDict()) expect(Array.from(t.values()), name).toEqual(Array.from((before.get(name) as zg.Tensor).values()));
    net.eval();
    const direct = zg.scope(() => Array.from(net.features(zg.tensor(images, { shape: [3, 1, 28, 28] })).values()));
    Array.from(features.values).forEach((v, i) => expect(v).toBeCloseTo(direct[i], 5));
  });

  it('evaluateFeatures reports k-NN and probe accuracies with all and 10-per-class labels', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(6);
    const net = new zg.ResNet({ widths: [4, 8], blocksPerStage: 1 });
    const { train, test } = mnistSlice(300, 100);
    const e = evaluateFeatures(net, { train, test }, { seed: 1 });
    expect(e.train_images).toBe(300);
    expect(e.test_images).toBe(100);
    expect(e.labels_few).toBe(100);
    expect(e.feature_spread).toBe(featureSpread(extractFeatures(net, train)));
    expect(e.knn.accuracy_all).toBe(knnAccuracy(extractFeatures(net, train), extractFeatures(net, test)));
    expect(e.probe.accuracy_all).toBeGreaterThan(0.3); // a linear probe of random conv features beats chance on digits
    expect(e.probe.accuracy_few).toBeGreaterThan(0.3);
  });
});
