"""Writes torch.save state dicts and the values they hold, for zerograd's reader tests (test/io/torch-python.test.ts).

Usage: /usr/bin/python3 scripts/make-torch-fixtures.py OUT_DIR [--emulate]

With torch installed: OUT_DIR/state.pth is torch.save of a small random network's state_dict (conv, batch norm with
randomized running statistics and num_batches_tracked, linear) plus half, bfloat16, float64, transposed and sliced
tensors, and OUT_DIR/state.safetensors the same tensors (contiguous copies) as safetensors. With --emulate (no torch needed): OUT_DIR/state.pth and state-deflated.pth are written the way torch.save
writes them, by CPython's own pickler (protocol 2, persistent ids for storages, an OrderedDict with _metadata) and
zipfile (zip64 extra fields), with stand-in torch globals. Either way OUT_DIR/expected.json holds every tensor's dtype,
shape and values (C order), computed independently of the file.
"""
import collections
import json
import os
import pickle
import random
import struct
import sys
import types
import zipfile


def real_torch(out):
    import torch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(8, 5))
    bn = net[1]
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    bn.num_batches_tracked.fill_(7)
    state = net.state_dict()
    base = torch.arange(10, dtype=torch.float32) / 4
    state['extra.base'] = base
    state['extra.slice'] = base[2:7]  # shares base's storage, offset 2
    state['extra.transposed'] = torch.randn(3, 4).t()  # strides (1, 4)
    state['extra.half'] = torch.randn(3, 2).half()
    state['extra.bf16'] = torch.randn(4).bfloat16()
    state['extra.double'] = torch.randn(2, 2, dtype=torch.float64)
    torch.save(state, os.path.join(out, 'state.pth'))
    import safetensors_py  # beside this script
    safetensors_py.save(state, os.path.join(out, 'state.safetensors'))
    names = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64', torch.int64: 'I64'}
    return {k: {'dtype': names[t.dtype], 'shape': list(t.shape), 'values': t.double().flatten().tolist()} for k, t in state.items()}


# ---- emulation: the same bytes torch.save would write, from stand-in globals

def install_fake_torch():
    torch = types.ModuleType('torch')
    utils = types.ModuleType('torch._utils')

    def _rebuild_tensor_v2(*args):
        raise RuntimeError('never called')
    _rebuild_tensor_v2.__module__ = 'torch._utils'
    _rebuild_tensor_v2.__qualname__ = '_rebuild_tensor_v2'
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    for kind in ('Float', 'Half', 'Long', 'Double'):
        cls = type(kind + 'Storage', (), {'__module__': 'torch', '__qualname__': kind + 'Storage'})
        setattr(torch, cls.__name__, cls)
    sys.modules['torch'] = torch
    sys.modules['torch._utils'] = utils
    return torch


class Storage:
    def __init__(self, kind, key, values):
        self.kind, self.key, self.values = kind, key, values


class Tensor:
    def __init__(self, storage, offset, shape, strides):
        self.storage, self.offset, self.shape, self.strides = storage, offset, tuple(shape), tuple(strides)

    def __reduce_ex__(self, proto):
        rebuild = sys.modules['torch._utils']._rebuild_tensor_v2
        return (rebuild, (self.storage, self.offset, self.shape, self.strides, False, collections.OrderedDict()))

    def gather(self):
        out = []

        def walk(d, at):
            if d == len(self.shape):
                out.append(self.storage.values[at])
                return
            for i in range(self.shape[d]):
                walk(d + 1, at + i * self.strides[d])
        walk(0, self.offset)
        return out


FORMATS = {'Float': ('<f', 'F32'), 'Half': ('<e', 'F16'), 'Long': ('<q', 'I64'), 'Double': ('<d', 'F64')}


def emulate(out):
    torch = install_fake_torch()
    rng = random.Random(0)
    unpack = lambda fmt, v: struct.unpack(fmt, struct.pack(fmt, v))[0]  # the value as stored
    storages = {
        'w': Storage('Float', '0', [unpack('<f', rng.uniform(-1, 1)) for _ in range(12)]),
        'h': Storage('Half', '1', [unpack('<e', rng.uniform(-2, 2)) for _ in range(6)]),
        'n': Storage('Long', '2', [7]),
        'd': Storage('Double', '3', [rng.uniform(-1, 1) for _ in range(4)]),
        'many': Storage('Float', '4', [i / 8 for i in range(1001)]),
    }
    state = collections.OrderedDict()
    state['conv.weight'] = Tensor(storages['w'], 0, (2, 3, 2), (6, 2, 1))
    state['conv.weight_t'] = Tensor(storages['w'], 0, (4, 3), (1, 4))
    state['row'] = Tensor(storages['w'], 5, (4,), (1,))
    state['half'] = Tensor(storages['h'], 0, (3, 2), (2, 1))
    state['bn.num_batches_tracked'] = Tensor(storages['n'], 0, (), ())
    state['double'] = Tensor(storages['d'], 0, (2, 2), (2, 1))
    for i in range(1001):  # more than pickle's 1000-item SETITEMS batches, and memo keys above 255
        state[f'many.{i}'] = Tensor(storages['many'], i, (), ())
    state._metadata = collections.OrderedDict([('', {'version': 1}), ('conv', {'version': 1})])

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ('storage', getattr(torch, obj.kind + 'Storage'), obj.key, 'cpu', len(obj.values))
            return None

    import io
    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump(state)
    for name, method in (('state.pth', zipfile.ZIP_STORED), ('state-deflated.pth', zipfile.ZIP_DEFLATED)):
        with zipfile.ZipFile(os.path.join(out, name), 'w', compression=method) as archive:
            archive.writestr('archive/data.pkl', buffer.getvalue())
            archive.writestr('archive/byteorder', 'little')
            for s in storages.values():
                fmt = FORMATS[s.kind][0]
                with archive.open(f'archive/data/{s.key}', 'w', force_zip64=True) as entry:
                    entry.write(b''.join(struct.pack(fmt, v) for v in s.values))
            archive.writestr('archive/version', '3\n')
    return {k: {'dtype': FORMATS[t.storage.kind][1], 'shape': list(t.shape), 'values': t.gather()} for k, t in state.items()}


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    expected = emulate(out) if '--emulate' in sys.argv else real_torch(out)
    with open(os.path.join(out, 'expected.json'), 'w') as f:
        json.dump(expected, f)
    print(f'wrote {out}: {len(expected)} tensors')
