import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { FASHION_CLASS_NAMES } from '../../src/data/dataset.js';
import { FASHION_SPLIT_SEED, loadFashionMnist, parseFashionJson } from '../../src/data/fashion.js';
import { countPerClass } from '../../src/data/labels.js';
import { tempDir, thrown } from './helpers.js';

const row = (value: number): number[] => Array.from({ length: 784 }, (_, i) => (i === 0 ? value : i % 256));
const json = (rows: number[][]): Buffer => Buffer.from(JSON.stringify({ data: rows }));

describe('parseFashionJson', () => {
  it('reads rows of 784 bytes and skips empty rows', () => {
    const parsed = parseFashionJson(json([row(1), [], row(2)]), 'f.json');
    expect(parsed.count).toBe(2);
    expect(parsed.pixels[0]).toBe(1);
    expect(parsed.pixels[784]).toBe(2);
    expect(parsed.pixels[785]).toBe(1);
  });

  it('tolerates whitespace', () => {
    const text = `{ "data" : [ [ ${row(7).join(' , ')} ] ,\n [ ] ] }`;
    expect(parseFashionJson(Buffer.from(text), 'w.json').count).toBe(1);
  });

  it('rejects rows of the wrong length, values over 255, bad characters and truncation', () => {
    expect(thrown(() => parseFashionJson(json([row(1), [1, 2, 3]]), 'short.json')).message).toBe('short.json: row 2 has 3 values, expected 784');
    expect(thrown(() => parseFashionJson(json([[...row(1), 5]]), 'long.json')).message).toMatch(/row 1 has more than 784 values/);
    expect(thrown(() => parseFashionJson(json([row(300)]), 'big.json')).message).toBe('big.json: row 1: pixel value 300 outside 0-255');
    const err = thrown(() => parseFashionJson(json([row(-1)]), 'neg.json'));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/neg\.json: byte \d+: unexpected '-', expected an integer 0-255 in row 1/);
    const bytes = json([row(1), row(2)]);
    expect(thrown(() => parseFashionJson(bytes.subarray(0, bytes.length - 900), 'cut.json')).message).toMatch(/cut\.json: truncated/);
    expect(thrown(() => parseFashionJson(Buffer.from('{"data": 5}'), 'x.json')).message).toMatch(/no list of rows/);
  });
});

describe('loadFashionMnist', () => {
  it('splits each class 6/7 train, 1/7 test with a fixed default seed', () => {
    const dir = tempDir();
    for (let c = 0; c < 10; c++) writeFileSync(join(dir, `${c}.json`), json(Array.from({ length: 14 }, (_, k) => row(c * 20 + k))));
    const a = loadFashionMnist({ dir });
    expect([a.train.count, a.test!.count]).toEqual([120, 20]);
    expect(countPerClass(a.train.labels)).toEqual(new Array(10).fill(12));
    expect(countPerClass(a.test!.labels)).toEqual(new Array(10).fill(2));
    expect(a.train.classNames).toBe(FASHION_CLASS_NAMES);
    // Every image lands in exactly one split, with its own label.
    const ids = [...a.train.labels.keys()].map((k) => a.train.pixels[k * 784])
      .concat([...a.test!.labels.keys()].map((k) => a.test!.pixels[k * 784]));
    expect(new Set(ids).size).toBe(140);
    a.train.labels.forEach((label, k) => expect(Math.floor(a.train.pixels[k * 784] / 20)).toBe(label));
    // Same seed, same split; another seed, another split.
    const b = loadFashionMnist({ dir, seed: FASHION_SPLIT_SEED });
    expect(Array.from(b.test!.pixels)).toEqual(Array.from(a.test!.pixels));
    const c = loadFashionMnist({ dir, seed: 7 });
    expect(Array.from(c.test!.pixels)).not.toEqual(Array.from(a.test!.pixels));
  });

  it('names a missing class file', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'x'));
    expect(thrown(() => loadFashionMnist({ dir: join(dir, 'x') })).message).toMatch(/x\/0\.json: file not found; expected one JSON file per class 0\.\.9/);
  });

  it('loads the embedded package: 60,000/10,000, 6,000/1,000 per class, same split every time', () => {
    const { train, test } = loadFashionMnist(); // load time: bench/data-load.ts
    expect([train.count, test!.count]).toEqual([60000, 10000]);
    expect(countPerClass(train.labels)).toEqual(new Array(10).fill(6000));
    expect(countPerClass(test!.labels)).toEqual(new Array(10).fill(1000));
    expect(train.classNames[9]).toBe('Ankle boot');
    // Pinned: the default seed must give everyone the same split.
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([8, 1, 7, 9, 2, 8, 7, 2, 6, 2]);
  });
});
