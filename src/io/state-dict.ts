// Reading a foreign state dict from a file, whatever its format: a torch.save zip archive (.pth/.pt) or
// safetensors, told apart by their first bytes. Tensors come back by key in file order, as the readers give them.
import { DataError } from '../errors.js';
import { readRegularFile } from '../data/files.js';
import { decodeSafetensors } from './safetensors.js';
import { decodeTorchStateDict, type StateTensor } from './torch-checkpoint.js';
import { isZip } from './zip.js';

export type { StateTensor } from './torch-checkpoint.js';

/** The tensors of a .pth/.pt (torch.save, PyTorch >= 1.6) or .safetensors state dict, and the keys of non-tensor entries. */
export function readStateDict(path: string): { tensors: Map<string, StateTensor>; skipped: string[] } {
  const bytes = readRegularFile(path, 'a state dict (.pth, .pt or .safetensors)');
  if (isZip(bytes)) return decodeTorchStateDict(bytes, path);
  if (bytes.length >= 9 && bytes[8] === 0x7b) return { tensors: decodeSafetensors(bytes, path).tensors, skipped: [] }; // u64 length, then '{'
  if (bytes[0] === 0x80) return decodeTorchStateDict(bytes, path); // a legacy torch.save pickle: refused with its own advice
  throw new DataError(`${path}: neither a torch.save zip archive (.pth/.pt) nor safetensors (an 8-byte header length, then '{'); expected a state dict`);
}
