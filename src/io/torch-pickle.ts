// A restricted unpickler for torch.save state dicts: the opcodes (protocols 2-5) that dicts, tuples, numbers,
// strings and tensors need, and an allow-list of globals (OrderedDict, tensor rebuild functions, storage types)
// that only build plain values; nothing is imported or called. Anything else is a DataError naming it.
import { DataError } from '../errors.js';

/** A pickled dict (dict or OrderedDict), keys as decoded. */
export class PickleDict { readonly entries = new Map<PickleKey, PickleValue>() }
/** A pickled tuple (lists are plain arrays). */
export class PickleTuple { constructor(readonly items: PickleValue[]) {} }
/** An allowed global, by its dotted name ('torch.FloatStorage'). */
export class PickleGlobal { constructor(readonly name: string) {} }
/** A storage of a torch archive (a persistent id): entry `data/<key>` holds `numel` elements of `type` ('Float', 'Half', ...). */
export class PickleStorage { constructor(readonly type: string, readonly key: string, readonly numel: number) {} }
/** A tensor as torch._utils._rebuild_tensor_v2 describes it: a view of a storage (offset and strides in elements). */
export class PickleTensor {
  constructor(readonly storage: PickleStorage, readonly offset: number, readonly shape: number[], readonly strides: number[]) {}
}

export type PickleKey = string | number | bigint | boolean | null;
export type PickleValue = PickleKey | PickleValue[] | PickleDict | PickleTuple | PickleGlobal | PickleStorage | PickleTensor;

/** Storage type globals (the persistent ids of tensors name them). */
export const STORAGE_TYPES = new Set([...['Float', 'Half', 'BFloat16', 'Double', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool', 'Untyped'].map((t) => `torch.${t}Storage`), 'torch.storage.UntypedStorage']);

/** Globals the unpickler accepts; everything else is refused by name. */
const ALLOWED = new Set([
  'collections.OrderedDict', 'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state', 'torch._tensor._rebuild_from_type_v2', 'torch.Tensor', 'torch.nn.parameter.Parameter',
  ...STORAGE_TYPES,
]);

const NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT', 0x4b: 'BININT1',
  0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS',
  0x47: 'BINFLOAT', 0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3',
  0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Unpickles `bytes` with the allow-list; `where` (e.g. 'model.pth: archive/data.pkl') starts every error message. */
export function unpickle(bytes: Uint8Array, where: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let at = 0;
  let opcode = 0;
  let opcodeAt = 0;
  const fail = (message: string): never => {
    throw new DataError(`${where}: ${message} (pickle opcode ${NAMES[opcode] ?? `0x${opcode.toString(16)}`} at byte ${opcodeAt}); refusing to load`);
  };
  const take = (n: number): number => {
    if (n > bytes.length - at) fail(`truncated pickle: ${n} bytes asked, ${bytes.length - at} left`);
    const start = at;
    at += n;
    return start;
  };
  const pop = (): PickleValue => (stack.length > (marks.at(-1) ?? 0) ? stack.pop() as PickleValue : fail('stack underflow'));
  const popMark = (): PickleValue[] => {
    const mark = marks.pop();
    if (mark === undefined) fail('no MARK');
    return stack.splice(mark as number);
  };
  const text = (length: number): string => {
    const start = take(length);
    try { return utf8.decode(bytes.subarray(start, start + length)); } catch { return fail('a string that is not valid UTF-8'); }
  };
  const u32 = (): number => view.getUint32(take(4), true);
  const u64 = (): number => {
    const value = view.getBigUint64(take(8), true);
    return value > BigInt(bytes.length) ? fail(`a length of ${value} bytes, beyond the pickle's end`) : Number(value);
  };
  const global = (name: string): PickleGlobal => {
    if (!ALLOWED.has(name)) fail(`global ${name} is not a tensor state dict (allowed: ${[...ALLOWED].filter((g) => !STORAGE_TYPES.has(g)).join(', ')}, torch.*Storage)`);
    return new PickleGlobal(name);
  };
  const top = (): PickleValue => (stack.length > 0 ? stack[stack.length - 1] : fail('empty stack'));
  const dictOf = (value: PickleValue): PickleDict => (value instanceof PickleDict ? value : fail(`SETITEM on ${describePickled(value)}, not a dict`));
  const listOf = (value: PickleValue): PickleValue[] => (Array.isArray(value) ? value : fail(`APPEND on ${describePickled(value)}, not a list`));
  const keyOf = (value: PickleValue): PickleKey => (value === null || typeof value !== 'object' ? value : fail(`a dict key of type ${describePickled(value)}`));
  for (;;) {
    opcodeAt = at;
    opcode = bytes[take(1)];
    switch (opcode) {
      case 0x80: { const protocol = bytes[take(1)]; if (protocol < 2 || protocol > 5) fail(`pickle protocol ${protocol}; expected 2 to 5`); break; }
      case 0x95: take(8); break; // FRAME: a framing hint only
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length > 0) fail(`${stack.length} values left on the stack at STOP, expected 1`);
        return stack[0];
      }
      case 0x28: marks.push(stack.length); break;
      case 0x7d: stack.push(new PickleDict()); break;
      case 0x64: { const items = popMark(); stack.push(setItems(new PickleDict(), items)); break; } // DICT
      case 0x5d: stack.push([]); break;
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x29: stack.push(new PickleTuple([])); break;
      case 0x74: stack.push(new PickleTuple(popMark())); break;
      case 0x85: stack.push(new PickleTuple([pop()])); break;
      case 0x86: { const b = pop(); stack.push(new PickleTuple([pop(), b])); break; }
      case 0x87: { const c = pop(); const b = pop(); stack.push(new PickleTuple([pop(), b, c])); break; }
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4b: stack.push(bytes[take(1)]); break;
      case 0x4d: stack.push(view.getUint16(take(2), true)); break;
      case 0x4a: stack.push(view.getInt32(take(4), true)); break;
      case 0x8a: { const length = bytes[take(1)]; const start = take(length); stack.push(long1(bytes, start, start + length)); break; }
      case 0x47: stack.push(view.getFloat64(take(8), false)); break;
      case 0x58: stack.push(text(u32())); break;
      case 0x8c: stack.push(text(bytes[take(1)])); break;
      case 0x8d: stack.push(text(u64())); break;
      case 0x63: { // GLOBAL: "module\nname\n"
        const line = (): string => {
          const length = bytes.subarray(at, at + 201).indexOf(0x0a);
          if (length < 0) fail('a GLOBAL name that is unterminated or longer than 200 bytes');
          const name = text(length);
          take(1);
          return name;
        };
        const module = line();
        stack.push(global(`${module}.${line()}`));
        break;
      }
      case 0x93: { const name = pop(); const module = pop(); if (typeof name !== 'string' || typeof module !== 'string') fail('STACK_GLOBAL of non-strings'); stack.push(global(`${module}.${name}`)); break; }
      case 0x71: memo.set(bytes[take(1)], top()); break;
      case 0x72: memo.set(u32(), top()); break;
      case 0x94: memo.set(memo.size, top()); break;
      case 0x68: case 0x6a: { const key = opcode === 0x68 ? bytes[take(1)] : u32(); if (!memo.has(key)) fail(`memo key ${key} was never stored`); stack.push(memo.get(key) as PickleValue); break; }
      case 0x73: { const value = pop(); const key = pop(); dictOf(top()).entries.set(keyOf(key), value); break; }
      case 0x75: { const items = popMark(); setItems(dictOf(top()), items); break; }
      case 0x61: { const value = pop(); listOf(top()).push(value); break; }
      case 0x65: { const items = popMark(); const list = listOf(top()); for (const item of items) list.push(item); break; }
      case 0x51: stack.push(storageOf(pop(), fail)); break; // BINPERSID
      case 0x52: { const args = pop(); const callable = pop(); stack.push(reduce(callable, args, fail)); break; }
      case 0x62: { const state = pop(); const target = top(); if (!(target instanceof PickleDict || target instanceof PickleTensor)) fail(`BUILD on ${describePickled(target)}`); void state; break; } // a dict's _metadata, a tensor's hooks: not needed
      default: fail('an unsupported opcode');
    }
  }

  function setItems(dict: PickleDict, items: PickleValue[]): PickleDict {
    if (items.length % 2 !== 0) fail(`an odd number (${items.length}) of keys and values`);
    for (let i = 0; i < items.length; i += 2) dict.entries.set(keyOf(items[i]), items[i + 1]);
    return dict;
  }
}

/** LONG1: `length` bytes at `start`, little-endian two's complement -> a number when exact, else a bigint. */
function long1(bytes: Uint8Array, start: number, end: number): number | bigint {
  let value = 0n;
  for (let i = end - 1; i >= start; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (end > start && bytes[end - 1] & 0x80) value -= 1n << BigInt(8 * (end - start));
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** A short name of a value's type, for messages. */
export function describePickled(value: unknown): string {
  if (value instanceof PickleDict) return 'a dict';
  if (value instanceof PickleTuple) return `a ${value.items.length}-tuple`;
  if (value instanceof PickleGlobal) return `global ${value.name}`;
  if (value instanceof PickleTensor) return 'a tensor';
  if (value instanceof PickleStorage) return 'a storage';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'None';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

/** A persistent id as torch writes it: ('storage', torch.FloatStorage, key, location, numel). */
function storageOf(id: PickleValue, fail: (m: string) => never): PickleStorage {
  const items = id instanceof PickleTuple ? id.items : [];
  const [tag, type, key, location, numel] = items;
  if (items.length !== 5 || tag !== 'storage' || !(type instanceof PickleGlobal) || !STORAGE_TYPES.has(type.name)
    || typeof key !== 'string' || !/^[\w.-]{1,100}$/.test(key) || typeof location !== 'string'
    || typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
    return fail(`a persistent id ${describePickled(id)} that is not ('storage', torch.<Type>Storage, key, location, numel)`);
  }
  return new PickleStorage((type.name.split('.').pop() as string).slice(0, -'Storage'.length), key, numel);
}

const intsOf = (value: PickleValue, what: string, fail: (m: string) => never): number[] => {
  if (!(value instanceof PickleTuple) || value.items.length > 64) return fail(`${what} must be a tuple of at most 64 integers, got ${describePickled(value)}`);
  return value.items.map((v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : fail(`${what} holds ${describePickled(v)}, expected integers >= 0`)));
};

/** REDUCE with an allowed callable: builds a dict or a tensor record; never calls anything. */
function reduce(callable: PickleValue, args: PickleValue, fail: (m: string) => never): PickleValue {
  if (!(callable instanceof PickleGlobal)) return fail(`REDUCE of ${describePickled(callable)}, not a global`);
  if (!(args instanceof PickleTuple)) return fail(`REDUCE of ${callable.name} with ${describePickled(args)} as arguments`);
  const a = args.items;
  switch (callable.name) {
    case 'collections.OrderedDict': {
      const dict = new PickleDict();
      if (a.length === 0) return dict;
      if (a.length !== 1 || !Array.isArray(a[0])) return fail('OrderedDict(...) with arguments other than a list of pairs');
      for (const pair of a[0] as PickleValue[]) {
        if (!(pair instanceof PickleTuple) || pair.items.length !== 2) return fail('OrderedDict(...) with an item that is not a pair');
        const key = pair.items[0];
        if (key !== null && typeof key === 'object') return fail(`a dict key of type ${describePickled(key)}`);
        dict.entries.set(key, pair.items[1]);
      }
      return dict;
    }
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      if (a.length < 4) return fail(`${callable.name} with ${a.length} arguments, expected (storage, offset, size, stride, ...)`);
      const offset = a[1];
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return fail(`a tensor storage offset of ${describePickled(offset)}`);
      const shape = intsOf(a[2], 'a tensor size', fail);
      const strides = intsOf(a[3], 'a tensor stride', fail);
      if (shape.length !== strides.length) return fail(`a tensor of size (${shape.join(', ')}) with ${strides.length} strides`);
      if (!(a[0] instanceof PickleStorage)) return fail(`a tensor whose storage is ${describePickled(a[0])}`);
      return new PickleTensor(a[0], offset, shape, strides);
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return a[0] instanceof PickleTensor ? a[0] : fail(`${callable.name} of ${describePickled(a[0])}, not a tensor`);
    case 'torch._tensor._rebuild_from_type_v2': { // (func, type, args, state): a tensor subclass or one with attributes
      const [func, type, inner] = a;
      if (!(type instanceof PickleGlobal) || (type.name !== 'torch.Tensor' && type.name !== 'torch.nn.parameter.Parameter')) return fail(`_rebuild_from_type_v2 of type ${describePickled(type)}`);
      if (func instanceof PickleGlobal && func.name === 'torch._tensor._rebuild_from_type_v2') return fail('nested _rebuild_from_type_v2');
      return reduce(func, inner, fail);
    }
    default:
      return fail(`${callable.name} cannot be called`);
  }
}
