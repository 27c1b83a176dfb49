// Property checks of the IDX reader: random and mutated (raw or gzipped) files end in images/labels whose
// sizes match their header, or in a ZerogradError; a gzipped file never inflates past its header or the cap.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { inflateDataBytes } from '../../src/data/files.js';
import { encodeIdxImages, encodeIdxLabels, idxImagesSize, idxLabelsSize, parseIdxImages, parseIdxLabels, type IdxImages } from '../../src/data/idx.js';
import { mutate, mutations, validOrNamed } from './byte-mutations.js';
import type { NamedProperty } from './property.js';

const CAP = 1 << 20;

const validImages = (r: IdxImages, bytes: Uint8Array): boolean => r.pixels.length === r.count * r.rows * r.cols && r.pixels.length === bytes.length - 16;
const validLabels = (labels: Uint8Array, bytes: Uint8Array): boolean => labels.length === bytes.length - 8 && labels.every((l) => l < 10);

/** A small valid image file and label file. */
const idxFiles = fc.record({ count: fc.integer({ min: 0, max: 6 }), rows: fc.integer({ min: 1, max: 8 }), cols: fc.integer({ min: 1, max: 8 }), seed: fc.nat() })
  .map(({ count, rows, cols, seed }) => {
    const pixels = Uint8Array.from({ length: count * rows * cols }, (_, i) => (i * 31 + seed) & 0xff);
    const labels = Uint8Array.from({ length: count }, (_, i) => (i + seed) % 10);
    return { images: encodeIdxImages(pixels, count, rows, cols), labels: encodeIdxLabels(labels) };
  });

export const properties: NamedProperty[] = [
  {
    name: 'idx: random bytes',
    property: fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
      validOrNamed(() => parseIdxImages(bytes, 'r.idx'), (r) => validImages(r, bytes)) && validOrNamed(() => parseIdxLabels(bytes, 'r.idx'), (l) => validLabels(l, bytes))),
  },
  {
    name: 'idx: mutated valid files',
    property: fc.property(idxFiles, mutations(), mutations(), ({ images, labels }, m1, m2) => {
      const a = mutate(images, m1);
      const b = mutate(labels, m2);
      return validOrNamed(() => parseIdxImages(a, 'm.idx'), (r) => validImages(r, a)) && validOrNamed(() => parseIdxLabels(b, 'm.idx'), (l) => validLabels(l, b));
    }),
  },
  {
    name: 'idx: gzipped, mutated before and after compression',
    property: fc.property(idxFiles, mutations(4), mutations(3), fc.nat({ max: 1 << 16 }), ({ images, labels }, inner, outer, padding) => {
      const header = { bytes: 16, size: idxImagesSize };
      const gz = mutate(gzipSync(Buffer.concat([mutate(images, inner), Buffer.alloc(padding)])), outer);
      const gzLabels = mutate(gzipSync(Buffer.concat([labels, Buffer.alloc(padding)])), outer);
      const bounded = (out: Uint8Array, size: number | null): boolean => out.length <= Math.min(CAP, size ?? CAP);
      return validOrNamed(() => inflateDataBytes(gz, 'g.gz', { header, maxInflatedBytes: CAP }), (out) => bounded(out, idxImagesSize(out.subarray(0, 16))) && validOrNamed(() => parseIdxImages(out, 'g.gz'), (r) => validImages(r, out)))
        && validOrNamed(() => inflateDataBytes(gzLabels, 'l.gz', { header: { bytes: 8, size: idxLabelsSize }, maxInflatedBytes: CAP }), (out) => bounded(out, idxLabelsSize(out.subarray(0, 8))));
    }),
  },
];
