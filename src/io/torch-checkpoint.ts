// Reading torch.save state dicts (the zip format of PyTorch >= 1.6): <name>/data.pkl (a pickle read by the
// restricted unpickler), <name>/data/<key> (raw storages), <name>/byteorder (optional). Tensors are copied
// out of their storages at their offsets and strides into plain C-order typed arrays.
import { DataError } from '../errors.js';
import { readRegularFile } from '../data/files.js';
import { ELEMENT_BYTES, readElements, viewExtent, type ElementType, type ElementValues } from './elements.js';
import { describePickled, PickleDict, PickleTensor, unpickle } from './torch-pickle.js';
import { isZip, readZipEntries, zipEntryData, type ZipEntry } from './zip.js';

/** One tensor of a state dict: F32 for float32/16 and bfloat16, F64 for float64 and int64, I32 for smaller integers and bools. */
export interface StateTensor {
  /** The type it was stored as: 'F32', 'F16', 'I64' (e.g. num_batches_tracked, which importers skip), ... */
  dtype: ElementType;
  shape: number[];
  values: ElementValues;
}

/** A decoded state dict: tensors by key in file order, and the keys of entries that are not tensors. */
export interface TorchStateDict {
  tensors: Map<string, StateTensor>;
  skipped: string[];
}

/** Options of `decodeTorchStateDict`. */
export interface TorchReadOptions {
  /** Most bytes the decoded tensors may take together (default: 4x the archive plus 1 MiB). */
  maxOutputBytes?: number;
}

const STORAGE_ELEMENTS: Record<string, ElementType> = {
  Float: 'F32', Half: 'F16', BFloat16: 'BF16', Double: 'F64', Long: 'I64', Int: 'I32', Short: 'I16', Char: 'I8', Byte: 'U8', Bool: 'BOOL', Untyped: 'U8',
};

/** The archive's record folder: the one '<name>/data.pkl' entry. */
function recordPrefix(entries: Map<string, ZipEntry>, where: string): string {
  const pickles = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    const names = [...entries.keys()].slice(0, 5).join(', ');
    throw new DataError(`${where}: a torch.save archive has one <name>/data.pkl entry; this zip has ${pickles.length} (entries: ${names}${entries.size > 5 ? ', ...' : ''})`);
  }
  return pickles[0].slice(0, -'data.pkl'.length);
}

/** Decodes a torch.save zip archive holding a state dict; `where` (the file) starts every error message. */
export function decodeTorchStateDict(bytes: Uint8Array, where = 'model.pth', options: TorchReadOptions = {}): TorchStateDict {
  if (!isZip(bytes)) {
    const legacy = bytes[0] === 0x80 && bytes[1] === 0x02;
    throw new DataError(legacy
      ? `${where}: a legacy torch.save file (PyTorch < 1.6 or _use_new_zipfile_serialization=False); re-save it with torch.save(state_dict, path) on PyTorch >= 1.6`
      : `${where}: not a torch.save zip archive (no zip signature); expected a .pth/.pt file written by PyTorch >= 1.6`);
  }
  const entries = readZipEntries(bytes, where);
  const prefix = recordPrefix(entries, where);
  const entryBytes = (name: string): Uint8Array | null => {
    const entry = entries.get(prefix + name);
    return entry ? zipEntryData(bytes, entry, where) : null;
  };
  const order = entryBytes('byteorder');
  const byteOrder = order === null ? 'little' : new TextDecoder().decode(order).trim();
  if (byteOrder !== 'little' && byteOrder !== 'big') throw new DataError(`${where}: ${prefix}byteorder says '${byteOrder.slice(0, 20)}', expected 'little' or 'big'`);
  const root = unpickle(entryBytes('data.pkl') as Uint8Array, `${where}: ${prefix}data.pkl`);
  if (!(root instanceof PickleDict)) throw new DataError(`${where}: holds ${describePickled(root)}, not a state dict (a dict of tensors)`);

  // Storages are read when first needed and dropped after their last tensor, so deflated ones are inflated one at a time.
  const storages = new Map<string, { bytes: Uint8Array }>();
  const usesLeft = new Map<string, number>();
  for (const value of root.entries.values()) if (value instanceof PickleTensor) usesLeft.set(value.storage.key, (usesLeft.get(value.storage.key) ?? 0) + 1);
  const seen = new Map<string, string>(); // storage key -> its type and size as first named
  const storageBytes = (tensor: PickleTensor, key: string): Uint8Array => {
    const { type, key: storageKey, numel } = tensor.storage;
    const known = seen.get(storageKey);
    if (known !== undefined && known !== `${numel} ${type}`) throw new DataError(`${where}: storage ${storageKey} is named as ${known} elements and, by ${key}, as ${numel} ${type}`);
    seen.set(storageKey, `${numel} ${type}`);
    const left = (usesLeft.get(storageKey) ?? 1) - 1;
    usesLeft.set(storageKey, left);
    const cached = storages.get(storageKey);
    if (cached) {
      if (left === 0) storages.delete(storageKey);
      return cached.bytes;
    }
    const data = entryBytes(`data/${storageKey}`);
    if (data === null) throw new DataError(`${where}: tensor ${key} refers to storage ${storageKey}, but the archive has no ${prefix}data/${storageKey}`);
    const need = numel * ELEMENT_BYTES[STORAGE_ELEMENTS[type]];
    if (data.length !== need) throw new DataError(`${where}: storage ${prefix}data/${storageKey} has ${data.length} bytes; ${numel} ${type} elements need ${need}`);
    if (left > 0) storages.set(storageKey, { bytes: data });
    return data;
  };

  const maxOutput = options.maxOutputBytes ?? 4 * bytes.length + 2 ** 20;
  let outputBytes = 0;
  const tensors = new Map<string, StateTensor>();
  const skipped: string[] = [];
  for (const [key, value] of root.entries) {
    if (typeof key !== 'string') throw new DataError(`${where}: a state dict key is ${describePickled(key)}, expected a string`);
    if (!(value instanceof PickleTensor)) { skipped.push(`${key} (${describePickled(value)})`); continue; }
    const dtype = STORAGE_ELEMENTS[value.storage.type];
    const view = { shape: value.shape, strides: value.strides, offset: value.offset };
    const count = value.shape.reduce((p, d) => p * d, 1);
    const extent = viewExtent(view);
    if (extent > value.storage.numel) {
      throw new DataError(`${where}: tensor ${key} of size (${value.shape.join(', ')}), stride (${value.strides.join(', ')}) and offset ${value.offset} reads element ${extent - 1} of a ${value.storage.numel}-element storage`);
    }
    outputBytes += count * (dtype === 'F64' || dtype === 'I64' || dtype === 'U64' ? 8 : 4);
    if (outputBytes > maxOutput) throw new DataError(`${where}: the tensors take more than ${maxOutput} bytes decoded (at ${key}); a view that repeats its storage (stride 0)?`);
    const data = storageBytes(value, key);
    tensors.set(key, { dtype, shape: [...value.shape], values: readElements(data, dtype, view, byteOrder === 'little') });
  }
  if (tensors.size === 0 && root.entries.size > 0) {
    throw new DataError(`${where}: holds no tensors at its top level (keys: ${[...root.entries.keys()].slice(0, 8).join(', ')}); a training checkpoint? save the state dict itself: torch.save(model.state_dict(), path)`);
  }
  return { tensors, skipped };
}

/** Reads a torch.save state dict file (.pth/.pt; a regular file, read no further than its size). */
export function readTorchStateDict(path: string, options: TorchReadOptions = {}): TorchStateDict {
  return decodeTorchStateDict(readRegularFile(path, 'a PyTorch checkpoint (.pth)'), path, options);
}
