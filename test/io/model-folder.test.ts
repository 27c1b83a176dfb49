import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError, UsageError, ZerogradError } from '../../src/errors.js';
import { CONFIG_FILE, loadModel, METRICS_FILE, readModelFolderFiles, saveModel, WEIGHTS_FILE, type SaveInfo } from '../../src/io/model-folder.js';
import { readRegularFile } from '../../src/data/files.js';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../../src/io/safetensors.js';
import { BatchNorm, Conv2D, Dense, Flatten, MaxPool2D, Sequential } from '../../src/nn/index.js';
import { globalRandom, manualSeed } from '../../src/tensor/engine.js';
import { predict } from '../../src/train/evaluate.js';
import { tempDir, thrown } from '../data/helpers.js';
import { mnistSlice, tinyMlp, useCpu } from '../train/helpers.js';

const info: SaveInfo = {
  name: 'tiny',
  preprocessing: { normalization: { kind: 'scale', mean: 0, std: 1 }, layout: 'image', rows: 28, cols: 28 },
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  data: 'mnist',
  recipe: { optimizer: 'adam', lr: 0.001, batchSize: 32, epochs: 1, normalize: 'scale' },
};

describe('model folders', () => {
  const root = tempDir('zerograd-io-');
  let dir = '';
  beforeAll(() => {
    useCpu();
    dir = join(root, 'saved');
    mkdirSync(dir);
    saveModel(dir, tinyMlp(3), info, { test: { accuracy: 0.5 } });
  });

  /** A copy of the saved folder with one file replaced. */
  function variant(name: string, file: string, content: string | Uint8Array): string {
    const copy = join(root, name);
    mkdirSync(copy, { recursive: true });
    for (const f of [WEIGHTS_FILE, CONFIG_FILE]) writeFileSync(join(copy, f), readFileSync(join(dir, f)));
    writeFileSync(join(copy, file), content);
    return copy;
  }

  function withConfig(name: string, edit: (config: Record<string, unknown>) => void): string {
    const config = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8')) as Record<string, unknown>;
    edit(config);
    return variant(name, CONFIG_FILE, JSON.stringify(config));
  }

  function withWeights(name: string, edit: (tensors: Map<string, NamedArray>) => void): string {
    const tensors = decodeSafetensors(readFileSync(join(dir, WEIGHTS_FILE))).tensors;
    edit(tensors);
    return variant(name, WEIGHTS_FILE, encodeSafetensors(tensors));
  }

  it('writes model.safetensors, config.json and metrics.json, and no temporary files', () => {
    expect(readdirSync(dir).sort()).toEqual([CONFIG_FILE, METRICS_FILE, WEIGHTS_FILE].sort());
    const config = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8'));
    expect(config).toMatchObject({ format: 'zerograd-model', version: 1, name: 'tiny', inputShape: [1, 28, 28], data: 'mnist' });
    expect(config.architecture.type).toBe('Sequential');
    expect(config.preprocessing.normalization).toEqual({ kind: 'scale', mean: 0, std: 1 });
    const weights = decodeSafetensors(readFileSync(join(dir, WEIGHTS_FILE))).tensors;
    expect([...weights.keys()]).toEqual(['1.weight', '1.bias', '2.weight', '2.bias']);
    expect([...weights.values()].every((t) => t.dtype === 'F32')).toBe(true);
  });

  it('loads a model that predicts exactly like the saved one, without touching the global RNG', () => {
    const original = tinyMlp(3);
    manualSeed(99);
    const before = globalRandom().getState();
    const { model, config, metrics } = loadModel(dir);
    expect(globalRandom().getState()).toEqual(before);
    expect(config.classNames).toHaveLength(10);
    expect(metrics).toEqual({ test: { accuracy: 0.5 } });
    const { test } = mnistSlice();
    const images = test.images.subarray(0, 20 * 784);
    expect(Array.from(predict(model, images).probabilities)).toEqual(Array.from(predict(original, images).probabilities).map((p) => expect.closeTo(p, 6)));
  });

  it('round-trips a CNN with batch-norm buffers', () => {
    manualSeed(1);
    const cnn = new Sequential([new Conv2D({ filters: 4, kernelSize: 3 }), new BatchNorm(), new MaxPool2D({ poolSize: 2 }), new Flatten(), new Dense({ units: 10 })], { inputShape: [1, 28, 28] });
    const cnnDir = join(root, 'cnn');
    mkdirSync(cnnDir);
    saveModel(cnnDir, cnn, info);
    const { model } = loadModel(cnnDir);
    expect([...model.stateDict().keys()].sort()).toEqual(['0.bias', '0.weight', '1.bias', '1.runningMean', '1.runningVar', '1.weight', '4.bias', '4.weight']);
    expect(existsSync(join(cnnDir, METRICS_FILE))).toBe(false);
  });

  it('names the folder or file when it is missing or unreadable', () => {
    expect(thrown(() => loadModel(join(root, 'nope'))).message).toMatch(/nope: model folder not found/);
    expect(thrown(() => loadModel(join(dir, CONFIG_FILE))).message).toMatch(/config\.json: is not a folder; expected a model folder/);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(thrown(() => loadModel(empty)).message).toMatch(/not a model folder \(no config\.json\)/);
    expect(thrown(() => loadModel(variant('badjson', CONFIG_FILE, '{"format":'))).message).toMatch(/config\.json: not valid JSON/);
    expect(thrown(() => loadModel(variant('truncated', WEIGHTS_FILE, readFileSync(join(dir, WEIGHTS_FILE)).subarray(0, 500)))).message).toMatch(/model\.safetensors: .*truncated/);
  });

  it('rejects a newer format version, a foreign format, unknown layer types and bad preprocessing', () => {
    expect(thrown(() => loadModel(withConfig('v2', (c) => { c.version = 2; }))).message).toMatch(/format version 2 was written by a newer zerograd; this one reads up to version 1/);
    expect(thrown(() => loadModel(withConfig('foreign', (c) => { c.format = 'keras'; }))).message).toMatch(/format is "keras", expected "zerograd-model"/);
    expect(thrown(() => loadModel(withConfig('unknown', (c) => {
      (c.architecture as { layers: { type: string }[] }).layers[1].type = 'Capsule';
    }))).message).toMatch(/unknown layer type 'Capsule'; known types: .*Dense/);
    expect(thrown(() => loadModel(withConfig('norm', (c) => {
      (c.preprocessing as { normalization: { std: number } }).normalization.std = 0;
    }))).message).toMatch(/normalization: std must be a positive number/);
    expect(thrown(() => loadModel(withConfig('classes', (c) => { c.classNames = ['a', 'b']; }))).message).toMatch(/outputs \(10\) but there are 2 class names/);
  });

  it('rejects missing, unexpected, mis-shaped and mis-typed tensors before changing any weight', () => {
    expect(thrown(() => loadModel(withWeights('missing', (t) => t.delete('2.bias')))).message).toMatch(/missing tensors 2\.bias/);
    expect(thrown(() => loadModel(withWeights('extra', (t) => t.set('3.weight', { dtype: 'F32', shape: [1], values: new Float32Array(1) })))).message).toMatch(/unexpected tensors 3\.weight/);
    expect(thrown(() => loadModel(withWeights('shape', (t) => t.set('2.bias', { dtype: 'F32', shape: [2, 5], values: new Float32Array(10) })))).message).toMatch(/'2\.bias' has shape \[2, 5\], the architecture expects \[10\]/);
    expect(thrown(() => loadModel(withWeights('dtype', (t) => t.set('2.bias', { dtype: 'F64', shape: [10], values: new Float64Array(10) })))).message).toMatch(/'2\.bias' is F64, expected F32/);
  });

  it('refuses NaN and infinite weights, naming the tensor and the file', () => {
    const nan = withWeights('nan', (t) => { (t.get('2.weight') as NamedArray).values[17] = Number.NaN; });
    const err = thrown(() => loadModel(nan));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${join(nan, WEIGHTS_FILE)}: tensor '2.weight' holds 1 non-finite value (first: NaN at index 17); the weights are corrupt or training diverged`);
    const inf = withWeights('inf', (t) => { (t.get('1.bias') as NamedArray).values.fill(Number.NEGATIVE_INFINITY, 3); });
    expect(thrown(() => loadModel(inf)).message).toMatch(/tensor '1\.bias' holds \d+ non-finite values \(first: -Infinity at index 3\)/);
  });

  it('reads only regular files: /dev/zero, a FIFO or a folder in place of a model file is refused at once', () => {
    const zero = variant('zero', CONFIG_FILE, readFileSync(join(dir, CONFIG_FILE)));
    execFileSync('rm', [join(zero, WEIGHTS_FILE)]);
    symlinkSync('/dev/zero', join(zero, WEIGHTS_FILE));
    const e1 = thrown(() => loadModel(zero));
    expect(e1).toBeInstanceOf(DataError);
    expect(e1.message).toBe(`${join(zero, WEIGHTS_FILE)}: is a character device, not a regular file; expected model weights (safetensors)`);
    expect(thrown(() => readModelFolderFiles(zero)).message).toMatch(/model\.safetensors: is a character device/);

    const fifo = variant('fifo', WEIGHTS_FILE, readFileSync(join(dir, WEIGHTS_FILE)));
    execFileSync('rm', [join(fifo, CONFIG_FILE)]);
    execFileSync('mkfifo', [join(fifo, CONFIG_FILE)]); // opening it for reading would wait for a writer forever
    expect(thrown(() => loadModel(fifo)).message).toBe(`${join(fifo, CONFIG_FILE)}: is a FIFO (named pipe), not a regular file; expected a JSON file`);

    const folder = variant('folder', CONFIG_FILE, readFileSync(join(dir, CONFIG_FILE)));
    execFileSync('rm', [join(folder, WEIGHTS_FILE)]);
    mkdirSync(join(folder, WEIGHTS_FILE));
    expect(thrown(() => loadModel(folder)).message).toBe(`${join(folder, WEIGHTS_FILE)}: is a folder, not a regular file; expected model weights (safetensors)`);
  });

  it('reads no more than the size limit, and names a missing file', () => {
    const config = join(dir, CONFIG_FILE);
    expect(readRegularFile(config).equals(readFileSync(config))).toBe(true);
    expect(thrown(() => readRegularFile(config, 'a JSON file', 10)).message).toMatch(/config\.json: \d+ bytes, above the 10 bytes limit for a JSON file/);
    expect(thrown(() => readRegularFile(join(root, 'absent.json'))).message).toBe(`${join(root, 'absent.json')}: file not found`);
  });

  it('makes every config.json problem a DataError (exit 1) naming the file and the field', () => {
    const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      ['c-version', (c) => { c.version = 'one'; }, /version must be a positive integer, got "one"/],
      ['c-arch', (c) => { c.architecture = []; }, /'architecture' must be a layer config object/],
      ['c-layer', (c) => { (c.architecture as { layers: { type: string }[] }).layers[1].type = 'Capsule'; }, /architecture: .*unknown layer type 'Capsule'/],
      ['c-units', (c) => { (c.architecture as { layers: Record<string, unknown>[] }).layers[1].units = -3; }, /architecture: .*units must be a positive integer, got -3/],
      ['c-input', (c) => { c.inputShape = [1, 0, 28]; }, /'inputShape' must be a non-empty list of positive integers, got \[1,0,28\]/],
      ['c-layout', (c) => { (c.preprocessing as Record<string, unknown>).layout = 'grid'; }, /preprocessing\.layout must be 'flat' or 'image', got "grid"/],
      ['c-rows', (c) => { (c.preprocessing as Record<string, unknown>).rows = 0; }, /preprocessing\.rows must be a positive integer, got 0/],
      ['c-norm', (c) => { (c.preprocessing as Record<string, unknown>).normalization = { kind: 'minmax', mean: 0, std: 1 }; }, /preprocessing\.normalization: kind must be/],
      ['c-names', (c) => { c.classNames = [1, 2]; }, /'classNames' must be a non-empty list of strings/],
      ['c-count', (c) => { c.classNames = ['a']; }, /outputs \(10\) but there are 1 class names/],
      ['c-name', (c) => { c.name = 7; }, /'name' must be a string, got 7/],
      ['c-recipe', (c) => { c.recipe = 'adam'; }, /'recipe' must be an object, got "adam"/],
    ];
    for (const [name, edit, message] of cases) {
      const folder = withConfig(name, edit);
      const err = thrown(() => loadModel(folder));
      expect(err, name).toBeInstanceOf(DataError);
      expect(err, name).not.toBeInstanceOf(UsageError);
      expect(err.message, name).toMatch(new RegExp(`^${join(folder, CONFIG_FILE).replace(/[.\\/]/g, '\\$&')}: `));
      expect(err.message, name).toMatch(message);
    }
  });

  it('names the path when saving fails, and leaves no temporary files', () => {
    const missing = join(root, 'no-such-folder');
    const err = thrown(() => saveModel(missing, tinyMlp(3), info));
    expect(err).toBeInstanceOf(ZerogradError);
    expect(err.message).toBe(`${join(missing, WEIGHTS_FILE)}: cannot write (ENOENT: no such file or directory)`);
    const blocked = join(root, 'blocked');
    mkdirSync(join(blocked, CONFIG_FILE), { recursive: true }); // config.json is a folder: the rename cannot replace it
    const e2 = thrown(() => saveModel(blocked, tinyMlp(3), info));
    expect(e2.message).toMatch(new RegExp(`${CONFIG_FILE.replace('.', '\\.')}: cannot replace it with the new file \\((EISDIR|ENOTEMPTY|EEXIST)`));
    expect(readdirSync(blocked).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
