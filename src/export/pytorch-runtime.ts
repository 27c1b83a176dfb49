// The frame of an exported model.py around its network classes: the header (what the file is, where it
// came from, how to use it), preprocessing as config.json says, a small safetensors reader (torch only,
// no numpy or safetensors package), build_model(), load_model() and a self-check when run as a script.
import type { Normalization } from '../data/dataset.js';
import { py } from './pytorch-modules.js';

/** What the frame needs. */
export interface ModelPyParts {
  name: string;
  /** The folder the model was exported from. */
  from?: string;
  rootClass: string;
  /** The Python expression that builds the network. */
  rootCall: string;
  inputShape: readonly number[];
  outputs: readonly number[];
  normalization: Normalization;
  /** Per-channel statistics (config.json's preprocessing.channelStats, e.g. ImageNet's): used instead of the single mean and std. */
  channelStats?: { mean: readonly number[]; std: readonly number[] };
  classNames: readonly string[];
  /** Class sources, in definition order. */
  classes: readonly string[];
}

const READER = `
_DTYPES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "I64": torch.int64}


def read_safetensors(path):
    """The tensors of a .safetensors file by name: an 8-byte little-endian header length, a JSON header
    {name: {"dtype", "shape", "data_offsets"}} and the raw little-endian bytes (F32, F64, I32, I64)."""
    if sys.byteorder != "little":
        raise RuntimeError("read_safetensors: this reader assumes a little-endian machine")
    with open(path, "rb") as f:
        data = f.read()
    (header_size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_size])
    header.pop("__metadata__", None)
    start = 8 + header_size
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has dtype {info['dtype']}; this reader handles {', '.join(_DTYPES)}")
        begin, end = info["data_offsets"]
        raw = bytearray(memoryview(data)[start + begin:start + end])  # one writable copy per tensor
        dtype = _DTYPES[info["dtype"]]
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.zeros(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"])
    return tensors
`;

/** `text` fit for one comment line: control characters and line breaks become spaces. */
export function commentSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, ' ');
}

/** The whole model.py. */
export function modelPyFile(p: ModelPyParts): string {
  const name = commentSafe(p.name);
  const from = p.from === undefined ? undefined : commentSafe(p.from);
  const input = `(N, ${p.inputShape.join(', ')})`;
  const output = `(N, ${p.outputs.join(', ')})`;
  const { kind } = p.normalization;
  const perChannel = p.channelStats && p.inputShape.length === 3 && p.channelStats.mean.length === p.inputShape[0] ? p.channelStats : null;
  const mean = perChannel ? perChannel.mean : p.normalization.mean;
  const std = perChannel ? perChannel.std : p.normalization.std;
  const normalize = perChannel
    ? `x = (pixels - mean[c]) / std[c] per channel c (mean ${py([...perChannel.mean])}, std ${py([...perChannel.std])}) for pixels in 0-1`
    : kind === 'scale' ? 'x = pixels (0-1, no further scaling)' : `x = (pixels - ${mean}) / ${std} for pixels in 0-1 (standardized)`;
  const header = [
    `# model.py: the zerograd model "${name}"${from ? ` (from ${from})` : ''}, exported by \`zerograd export --format pytorch\`.`,
    '#',
    `# The network as torch.nn.Module classes (${p.rootClass}) and load_model(), which reads the weights from`,
    '# model.safetensors beside this file with the small reader below: only torch is needed.',
    '#',
    `# Input: float32 ${input}, normalized as the model was trained (config.json's preprocessing):`,
    `# ${normalize}; preprocess() does that.`,
    `# Output: LOGITS ${output}, as \`zerograd infer\` writes them; zerograd's final`,
    '# softmax is not part of the network (logits.softmax(dim=1) gives the probabilities).',
    '#',
    '# Usage (from this folder, or with it on sys.path):',
    '#     import torch',
    '#     from model import load_model, preprocess, CLASS_NAMES',
    '#     model = load_model()  # eval mode; load_model("path/to/folder") reads another folder',
    '#     with torch.no_grad():',
    `#         logits = model(preprocess(pixels))  # pixels: ${p.inputShape.length === 3 ? `(N, ${p.inputShape.slice(1).join(', ')}) or ` : ''}${input}, floats 0-1 or uint8 0-255`,
    '#     labels = [CLASS_NAMES[i] for i in logits.argmax(dim=1).tolist()]',
    '#',
    '# The state dict uses PyTorch names and layouts (Linear weights are (out, in); batch norm keeps',
    '# running_mean / running_var; num_batches_tracked is 0, as zerograd does not count batches), so',
    '# model.state_dict() matches the file key for key: load_state_dict(strict=True), torch.save(),',
    '# DistributedDataParallel and optimizers work as with any module. build_model() gives fresh weights.',
    '# Edit freely; a zerograd export overwrites this file.',
  ];
  const sections = [
    header.join('\n'),
    ['import json', 'import math', 'import os', 'import struct', 'import sys', '', 'import torch', 'from torch import nn', 'import torch.nn.functional as F'].join('\n'),
    '# ---- the network ---------------------------------------------------------------------------------',
    ...p.classes,
    '# ---- preprocessing (config.json) --------------------------------------------------------------------',
    [
      `INPUT_SHAPE = (${p.inputShape.join(', ')}${p.inputShape.length === 1 ? ',' : ''})`,
      perChannel ? `MEAN = torch.tensor(${py([...perChannel.mean])}).reshape(-1, 1, 1)  # per channel` : `MEAN = ${py(mean)}`,
      perChannel ? `STD = torch.tensor(${py([...perChannel.std])}).reshape(-1, 1, 1)` : `STD = ${py(std)}`,
      `CLASS_NAMES = ${py([...p.classNames])}`,
      '',
      '',
      'def preprocess(pixels):',
      `    """Images (pixels 0-1 as floats, or uint8 0-255), N whole images in any shape -> the model input ${input}."""`,
      '    x = torch.as_tensor(pixels)',
      '    x = x.float() / 255 if x.dtype == torch.uint8 else x.float()',
      '    return (x.reshape(-1, *INPUT_SHAPE) - MEAN) / STD',
    ].join('\n'),
    '# ---- weights -----------------------------------------------------------------------------------------',
    READER.trim(),
    [
      'def build_model():',
      `    """The network with fresh (untrained) weights: ${p.rootClass}."""`,
      `    return ${p.rootCall}`,
      '',
      '',
      'def load_model(folder=None):',
      '    """The network with the weights of FOLDER/model.safetensors (default: this file\'s folder), in eval mode."""',
      '    folder = os.path.dirname(os.path.abspath(__file__)) if folder is None else folder',
      '    model = build_model()',
      '    model.load_state_dict(read_safetensors(os.path.join(folder, "model.safetensors")))  # strict: every key must match',
      '    return model.eval()',
    ].join('\n'),
    [
      'if __name__ == "__main__":',
      '    model = load_model()',
      '    with torch.no_grad():',
      '        logits = model(torch.zeros(2, *INPUT_SHAPE))',
      '    parameters = sum(p.numel() for p in model.parameters())',
      '    print(f"{type(model).__name__}: {parameters} parameters; input (N, {\', \'.join(map(str, INPUT_SHAPE))}) -> logits {tuple(logits.shape)}")',
    ].join('\n'),
  ];
  return `${sections.join('\n\n\n')}\n`;
}
