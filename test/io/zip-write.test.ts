// The zip writer: archives that its own reader, zlib's CRC-32 and the system's unzip accept, with
// names and bytes preserved; model folders zipped this way load like folders.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { CONFIG_FILE, loadModel, METRICS_FILE, readModelFolderFiles, saveModel, WEIGHTS_FILE } from '../../src/io/model-folder.js';
import { crc32, encodeZip } from '../../src/io/zip-write.js';
import { modelToBytes } from '../../src/io/from-bytes.js';
import { readZipEntries, zipEntryData } from '../../src/io/zip.js';
import { predict } from '../../src/train/evaluate.js';
import { tempDir, thrown } from '../data/helpers.js';
import { mnistSlice, tinyMlp, useCpu } from '../train/helpers.js';

const haveUnzip = (() => { try { execFileSync('unzip', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; } })();

describe('encodeZip', () => {
  it('computes the CRC-32 zlib computes', () => {
    const bytes = new Uint8Array(1000).map((_, i) => (i * 37) % 251);
    expect(crc32(bytes)).toBe(zlibCrc32(bytes) >>> 0);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('writes entries its reader reads back byte for byte', () => {
    const weights = new Uint8Array(300).map((_, i) => i % 256);
    const zip = encodeZip([{ name: 'm/config.json', data: '{"é":1}' }, { name: 'm/model.safetensors', data: weights }]);
    const entries = readZipEntries(zip, 'test.zip');
    expect([...entries.keys()]).toEqual(['m/config.json', 'm/model.safetensors']);
    expect(new TextDecoder().decode(zipEntryData(zip, entries.get('m/config.json')!, 'test.zip'))).toBe('{"é":1}');
    expect(zipEntryData(zip, entries.get('m/model.safetensors')!, 'test.zip')).toEqual(weights);
  });

  it('gives the same bytes for the same files (no clock in the archive)', () => {
    const files = [{ name: 'a.txt', data: 'x' }];
    expect(encodeZip(files)).toEqual(encodeZip(files));
  });

  it('refuses absolute names and ..', () => {
    expect(() => encodeZip([{ name: '/etc/passwd', data: '' }])).toThrow(/relative path/);
    expect(() => encodeZip([{ name: 'a/../../b', data: '' }])).toThrow(/relative path/);
  });

  it.runIf(haveUnzip)('is an archive the system unzip tests clean', () => {
    const dir = tempDir('zerograd-zip-');
    const path = join(dir, 'a.zip');
    writeFileSync(path, encodeZip([{ name: 'f/one.bin', data: new Uint8Array([1, 2, 3]) }, { name: 'f/two.txt', data: 'two' }]));
    expect(execFileSync('unzip', ['-t', path]).toString()).toMatch(/No errors detected/);
  });
});

describe('model folders as zip archives', () => {
  const root = tempDir('zerograd-zipmodel-');
  let dir = '';
  beforeAll(() => {
    useCpu();
    dir = join(root, 'saved');
    mkdirSync(dir);
    saveModel(dir, tinyMlp(3), {
      name: 'tiny', preprocessing: { normalization: { kind: 'scale', mean: 0, std: 1 }, layout: 'flat', rows: 28, cols: 28 },
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], data: 'mnist',
      recipe: { optimizer: 'adam', lr: 0.001, batchSize: 32, epochs: 1, normalize: 'scale' },
    }, { test: { accuracy: 0.5 } });
  });
  const zipOf = (name: string, files: Record<string, Uint8Array | string>) => {
    const path = join(root, name);
    writeFileSync(path, encodeZip(Object.entries(files).map(([n, data]) => ({ name: n, data }))));
    return path;
  };
  const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

  it('loads a zip with the folder inside, or the files at its root, as the folder loads', () => {
    const folder = loadModel(dir);
    const x = mnistSlice(4, 4).test.images;
    for (const path of [
      zipOf('nested.zip', { 'my-model/config.json': file(CONFIG_FILE), 'my-model/model.safetensors': file(WEIGHTS_FILE), 'my-model/metrics.json': file(METRICS_FILE) }),
      zipOf('flat.zip', { 'config.json': file(CONFIG_FILE), 'model.safetensors': file(WEIGHTS_FILE) }),
    ]) {
      const zipped = loadModel(path);
      expect(zipped.config).toEqual(folder.config);
      expect(predict(zipped.model, x).probabilities).toEqual(predict(folder.model, x).probabilities);
      expect(new Uint8Array(readModelFolderFiles(path).weights)).toEqual(file(WEIGHTS_FILE));
    }
    expect(loadModel(join(root, 'nested.zip')).metrics).toEqual({ test: { accuracy: 0.5 } });
  });

  it('modelToBytes gives the files saveModel writes, so a zip of them loads as the same model', () => {
    const folder = loadModel(dir);
    const files = modelToBytes(folder.model, folder.config, { note: 'personal' });
    expect(new Uint8Array(files[WEIGHTS_FILE] as Uint8Array)).toEqual(file(WEIGHTS_FILE));
    expect(JSON.parse(files[CONFIG_FILE] as string)).toEqual(JSON.parse(new TextDecoder().decode(file(CONFIG_FILE))));
    const path = zipOf('from-bytes.zip', Object.fromEntries(Object.entries(files).map(([name, data]) => [`personal/${name}`, data])));
    const loaded = loadModel(path);
    expect(loaded.metrics).toEqual({ note: 'personal' });
    const x = mnistSlice(4, 4).test.images;
    expect(predict(loaded.model, x).probabilities).toEqual(predict(folder.model, x).probabilities);
  });

  it('names what is missing or doubled', () => {
    const noWeights = zipOf('no-weights.zip', { 'm/config.json': file(CONFIG_FILE) });
    expect(thrown(() => loadModel(noWeights))).toBeInstanceOf(DataError);
    expect(() => loadModel(noWeights)).toThrow(/no m\/model\.safetensors beside m\/config\.json/);
    const two = zipOf('two.zip', { 'a/config.json': '{}', 'b/config.json': '{}' });
    expect(() => loadModel(two)).toThrow(/holds one config\.json .* this zip has 2/);
    const badConfig = zipOf('bad.zip', { 'm/config.json': '{not json', 'm/model.safetensors': file(WEIGHTS_FILE) });
    expect(() => loadModel(badConfig)).toThrow(/bad\.zip:m\/config\.json: not valid JSON/);
    const text = join(root, 'model.txt');
    writeFileSync(text, 'hello');
    expect(() => loadModel(text)).toThrow(/is not a folder; expected a model folder .* \(or a \.zip of one\)/);
  });
});
