// Property checks of the CSV reader: random CSV-like text and mutated valid files (BOM, CR/CRLF/LF, headers)
// end in a set whose sizes agree, or in a ZerogradError; a .csv.gz never inflates past its cap.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { encodeCsv, parseCsv } from '../../src/data/csv.js';
import type { ImageSet } from '../../src/data/dataset.js';
import { inflateDataBytes } from '../../src/data/files.js';
import { mutate, mutations, validOrNamed } from './byte-mutations.js';
import type { NamedProperty } from './property.js';

const valid = (set: ImageSet): boolean =>
  set.count > 0 && set.pixels.length === set.count * 784 && set.labels.length === set.count && set.labels.every((l) => l < 10);

/** Text from the characters a CSV parser meets, plus a few it should not. */
const csvText = fc.array(fc.constantFrom('0', '1', '9', '25', '255', '256', ',', ',', ',', '\n', '\r', '\r\n', ' ', '.', '-', 'a', 'label', '\uFEFF', '\t', 'é'), { maxLength: 400 })
  .map((parts) => Buffer.from(parts.join('')));

/** A small valid CSV: 1-3 rows, with or without a header, LF/CRLF/CR line ends, maybe a BOM. */
const csvFile = fc.record({ count: fc.integer({ min: 1, max: 3 }), seed: fc.nat(), header: fc.boolean(), eol: fc.constantFrom('\n', '\r\n', '\r'), bom: fc.boolean() })
  .map(({ count, seed, header, eol, bom }) => {
    const pixels = Uint8Array.from({ length: count * 784 }, (_, i) => (i * 13 + seed) & 0xff);
    const labels = Uint8Array.from({ length: count }, (_, i) => (i + seed) % 10);
    const text = encodeCsv({ pixels, labels, count }, header).replaceAll('\n', eol);
    return Buffer.from((bom ? '\uFEFF' : '') + text);
  });

export const properties: NamedProperty[] = [
  { name: 'csv: random CSV-like text', property: fc.property(csvText, (bytes) => validOrNamed(() => parseCsv(bytes, 'r.csv'), valid)) },
  {
    name: 'csv: mutated valid files',
    property: fc.property(csvFile, mutations(8), (file, edits) => {
      const bytes = mutate(file, edits);
      return validOrNamed(() => parseCsv(bytes, 'm.csv'), valid);
    }),
  },
  {
    name: 'csv: gzipped and mutated, under a 64 KiB cap',
    property: fc.property(csvFile, fc.integer({ min: 1, max: 40 }), mutations(3), (file, copies, edits) => {
      const gz = mutate(gzipSync(Buffer.concat(Array.from({ length: copies }, () => file))), edits);
      return validOrNamed(() => inflateDataBytes(gz, 'g.csv.gz', { maxInflatedBytes: 1 << 16 }), (out) => out.length <= 1 << 16 && validOrNamed(() => parseCsv(out, 'g.csv.gz'), valid));
    }),
  },
];
