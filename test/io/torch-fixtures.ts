// Builds torch.save archives inside the tests, byte by byte as PyTorch >= 1.6 writes them: a zip of
// archive/data.pkl (a protocol-2 pickle of an OrderedDict of _rebuild_tensor_v2 calls), archive/data/<key>
// storages, archive/version and archive/byteorder. Also the pickle opcodes, for hand-made hostile pickles.
import { crc32, deflateRawSync } from 'node:zlib';

// ---- pickle opcodes (protocol 2, as torch's default pickle_protocol)

const enc = new TextEncoder();
const bytes = (...parts: (number[] | Uint8Array)[]): number[] => parts.flatMap((p) => [...p]);
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

export const op = {
  proto: (n = 2): number[] => [0x80, n],
  stop: [0x2e],
  mark: [0x28],
  emptyDict: [0x7d],
  emptyList: [0x5d],
  emptyTuple: [0x29],
  tuple: [0x74],
  tuple1: [0x85], tuple2: [0x86], tuple3: [0x87],
  none: [0x4e], newTrue: [0x88], newFalse: [0x89],
  reduce: [0x52], build: [0x62], binpersid: [0x51],
  setitem: [0x73], setitems: [0x75], append: [0x61], appends: [0x65],
  global: (module: string, name: string): number[] => bytes([0x63], enc.encode(`${module}\n${name}\n`)),
  stackGlobal: [0x93],
  str: (s: string): number[] => { const b = enc.encode(s); return bytes([0x58], u32(b.length), b); },
  shortStr: (s: string): number[] => { const b = enc.encode(s); return bytes([0x8c, b.length], b); },
  int: (n: number): number[] => (n >= 0 && n < 256 ? [0x4b, n] : n >= 0 && n < 65536 ? [0x4d, n & 0xff, n >> 8] : bytes([0x4a], u32(n))),
  long1: (n: bigint, length = 8): number[] => { const out = [0x8a, length]; for (let i = 0; i < length; i++) out.push(Number((n >> BigInt(8 * i)) & 0xffn)); return out; },
  binput: (i: number): number[] => (i < 256 ? [0x71, i] : bytes([0x72], u32(i))),
  binget: (i: number): number[] => (i < 256 ? [0x68, i] : bytes([0x6a], u32(i))),
};

/** A tensor to pickle: its key, storage (key, torch type, numel) and view. */
export interface FixtureTensor {
  name: string;
  storage: string;
  type: 'Float' | 'Half' | 'Double' | 'Long' | 'BFloat16' | 'Int';
  numel: number;
  offset?: number;
  shape: number[];
  strides?: number[];
}

const intTuple = (values: number[]): number[] => {
  const items = values.flatMap(op.int);
  if (values.length === 0) return op.emptyTuple;
  if (values.length <= 3) return bytes(items, [op.tuple1, op.tuple2, op.tuple3][values.length - 1]);
  return bytes(op.mark, items, op.tuple);
};

const stridesOf = (shape: number[]): number[] => {
  const out: number[] = [];
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) { out.unshift(step); step *= shape[d]; }
  return out;
};

/** The data.pkl torch.save writes for an OrderedDict of tensors (memoized globals reused by BINGET, then the _metadata BUILD). */
export function stateDictPickle(tensors: FixtureTensor[]): Uint8Array {
  const out: number[] = bytes(op.proto(2), op.global('collections', 'OrderedDict'), op.binput(0), op.emptyTuple, op.reduce, op.binput(1), op.mark);
  let memo = 2;
  let rebuild = -1;
  const storageTypes = new Map<string, number>();
  for (const t of tensors) {
    out.push(...op.str(t.name), ...op.binput(memo++));
    if (rebuild < 0) { out.push(...op.global('torch._utils', '_rebuild_tensor_v2'), ...op.binput(memo)); rebuild = memo++; } else out.push(...op.binget(rebuild));
    out.push(...op.mark, ...op.mark, ...op.str('storage'), ...op.binput(memo++));
    const known = storageTypes.get(t.type);
    if (known === undefined) { out.push(...op.global('torch', `${t.type}Storage`), ...op.binput(memo)); storageTypes.set(t.type, memo++); } else out.push(...op.binget(known));
    out.push(...op.str(t.storage), ...op.str('cpu'), ...op.int(t.numel), ...op.tuple, ...op.binpersid);
    out.push(...op.int(t.offset ?? 0), ...intTuple(t.shape), ...intTuple(t.strides ?? stridesOf(t.shape)), ...op.newFalse);
    out.push(...op.binget(0), ...op.emptyTuple, ...op.reduce, ...op.tuple, ...op.reduce, ...op.binput(memo++));
  }
  out.push(...op.setitems);
  // state: {'_metadata': OrderedDict({'': {'version': 1}})}
  out.push(...op.emptyDict, ...op.str('_metadata'), ...op.binget(0), ...op.emptyTuple, ...op.reduce, ...op.str(''), ...op.emptyDict, ...op.str('version'), ...op.int(1), ...op.setitem, ...op.setitem, ...op.setitem, ...op.build, ...op.stop);
  return Uint8Array.from(out);
}

// ---- zip (stored entries as torch writes them, or deflated)

/** A zip archive of `files` in order; `deflate` compresses the entries; `zip64` writes every size and offset in zip64 fields. */
export function makeZip(files: [string, Uint8Array][], deflate = false, zip64 = false): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name);
    const body = deflate ? deflateRawSync(data) : Buffer.from(data);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(zip64 ? 0xffffffff : body.length, 20);
    central.writeUInt32LE(zip64 ? 0xffffffff : data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    const extra = Buffer.alloc(zip64 ? 28 : 0);
    if (zip64) {
      central.writeUInt16LE(28, 30);
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4); // uncompressed, compressed, offset: the spec's order
      extra.writeBigUInt64LE(BigInt(body.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes, extra);
    offset += 30 + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : files.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : files.length, 10);
  end.writeUInt32LE(zip64 ? 0xffffffff : directory.length, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  if (!zip64) return new Uint8Array(Buffer.concat([...locals, directory, end]));
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeBigUInt64LE(BigInt(files.length), 24);
  record.writeBigUInt64LE(BigInt(files.length), 32);
  record.writeBigUInt64LE(BigInt(directory.length), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
  locator.writeUInt32LE(1, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, record, locator, end]));
}

/** A whole torch.save archive: the pickle, the storages, version and byteorder. */
export function torchArchive(tensors: FixtureTensor[], storages: Record<string, Uint8Array>, options: { byteorder?: string; deflate?: boolean; pickle?: Uint8Array } = {}): Uint8Array {
  const files: [string, Uint8Array][] = [['archive/data.pkl', options.pickle ?? stateDictPickle(tensors)]];
  if (options.byteorder !== undefined) files.push(['archive/byteorder', enc.encode(options.byteorder)]);
  for (const [key, data] of Object.entries(storages)) files.push([`archive/data/${key}`, data]);
  files.push(['archive/version', enc.encode('3\n')]);
  return makeZip(files, options.deflate);
}

/** Raw little-endian bytes of a typed array. */
export const rawBytes = (values: Float32Array | Float64Array | BigInt64Array | Uint16Array | Int32Array): Uint8Array => new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
