"""Writes a dict of torch tensors as safetensors, by hand (the safetensors package need not be installed).

The format: an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} padded with
spaces to 8 bytes, then each tensor's raw little-endian bytes in C order. Imported by the scripts beside it.
"""
import json
import struct

import torch

DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64', torch.int64: 'I64', torch.int32: 'I32'}


def save(state, path, metadata=None):
    """Writes `state` (name -> tensor) to `path`; `metadata` (str -> str), if given, as the header's __metadata__."""
    header, chunks, offset = ({'__metadata__': dict(metadata)} if metadata else {}), [], 0
    for name, t in state.items():
        raw = t.detach().contiguous().flatten().view(torch.uint8).numpy().tobytes()  # this host is little-endian
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)
