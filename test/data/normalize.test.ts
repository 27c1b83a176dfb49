import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import {
  backgroundValue, checkNormalization, fitNormalization, normalizeBytes, normalizeUnit, pixelStats, prepare, toDataset,
} from '../../src/data/normalize.js';
import { syntheticSet, thrown } from './helpers.js';

describe('pixel statistics and normalization', () => {
  const train = syntheticSet(30, 'train');
  const test = syntheticSet(9, 'test');
  test.pixels.fill(200); // a test split that looks nothing like train

  it('computes the exact mean and std on the 0-1 scale', () => {
    const values = Array.from(train.pixels, (v) => v / 255);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    const stats = pixelStats(train);
    expect(stats.mean).toBeCloseTo(mean, 10);
    expect(stats.std).toBeCloseTo(std, 10);
  });

  it("'scale' maps bytes to 0-1; 'standardize' centres the train split", () => {
    expect(fitNormalization(train, 'scale')).toEqual({ kind: 'scale', mean: 0, std: 1 });
    const scaled = normalizeBytes(Uint8Array.from([0, 51, 255]), fitNormalization(train, 'scale'));
    expect(Array.from(scaled)).toEqual([0, 0.2, 1].map((v) => Math.fround(v)));
    const norm = fitNormalization(train);
    const x = normalizeBytes(train.pixels, norm);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    expect(mean).toBeCloseTo(0, 5);
    expect(variance).toBeCloseTo(1, 4);
  });

  it('prepare fits on train only and applies the same numbers to test', () => {
    const { train: a, test: b, normalization } = prepare({ train, test }, { normalize: 'standardize' });
    expect(normalization).toEqual({ kind: 'standardize', ...pixelStats(train) });
    expect(b!.normalization).toBe(normalization);
    expect(b!.images[0]).toBeCloseTo((200 / 255 - normalization.mean) / normalization.std, 5);
    expect(a.images.length).toBe(30 * 784);
  });

  it('prepare reuses a saved normalization (JSON round trip) for inference', () => {
    const saved = JSON.parse(JSON.stringify(fitNormalization(train)));
    const { test: b } = prepare({ train: test, test }, { normalize: saved });
    expect(b!.normalization).toEqual(fitNormalization(train));
  });

  it('gives flat or image shapes over the same memory', () => {
    const norm = fitNormalization(train, 'scale');
    expect(toDataset(train, norm).shape).toEqual([30, 784]);
    expect(toDataset(train, norm, 'image').shape).toEqual([30, 1, 28, 28]);
    const prepared = prepare({ train, test: null }, { layout: 'image' });
    expect(prepared.train.images.length).toBe(30 * 784);
    expect(prepared.test).toBeNull();
  });

  it('normalizes 0-1 user floats exactly like training bytes, and knows the background value', () => {
    const norm = fitNormalization(train);
    const bytes = Uint8Array.from([0, 128, 255]);
    const fromBytes = normalizeBytes(bytes, norm);
    const fromUnit = normalizeUnit(Float32Array.from(bytes, (v) => v / 255), norm);
    for (let i = 0; i < 3; i++) expect(fromUnit[i]).toBeCloseTo(fromBytes[i], 5);
    expect(backgroundValue(norm)).toBeCloseTo(fromBytes[0], 5);
    const out = new Float32Array(5);
    expect(normalizeBytes(bytes, norm, out)).toBe(out);
    expect(() => normalizeBytes(bytes, norm, new Float32Array(2))).toThrow(RangeError);
  });

  it('rejects bad saved normalizations and constant images', () => {
    expect(thrown(() => checkNormalization(null, 'config.json normalization')).message).toBe('config.json normalization: expected an object { kind, mean, std }');
    expect(thrown(() => checkNormalization({ kind: 'zscore', mean: 0, std: 1 })).message).toMatch(/kind must be 'scale' or 'standardize', got "zscore"/);
    expect(thrown(() => checkNormalization({ kind: 'scale', mean: 'a', std: 1 })).message).toMatch(/mean must be a finite number/);
    expect(thrown(() => checkNormalization({ kind: 'scale', mean: 0, std: 0 })).message).toMatch(/std must be a positive number/);
    const flat = syntheticSet(2, 'flat');
    flat.pixels.fill(7);
    const err = thrown(() => fitNormalization(flat));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/flat: all pixels are equal \(std 0\)/);
    expect(thrown(() => pixelStats({ ...flat, pixels: new Uint8Array(0), count: 0 })).message).toMatch(/empty set/);
  });
});
