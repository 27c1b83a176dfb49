// Reading a Hugging Face config.json: its fields with transformers' own defaults when absent (configuration_vit.py,
// configuration_resnet.py), each checked for its type, with a DataError naming the file, the field and what was
// expected. The architecture modules (huggingface-vit.ts, huggingface-resnet.ts) read their options through these.
import { DataError } from '../errors.js';

/** config.json's contents: a JSON object. */
export type HfConfig = Readonly<Record<string, unknown>>;

/** Reads typed fields of one config.json (`where` names it in messages), falling back to transformers' defaults. */
export class HfFields {
  constructor(readonly config: HfConfig, readonly where: string) {}

  private fail(key: string, expected: string): never {
    throw new DataError(`${this.where}: ${key} is ${JSON.stringify(this.config[key])}, expected ${expected}`);
  }

  /** A positive integer. */
  int(key: string, fallback: number): number {
    const value = this.config[key] ?? fallback;
    if (!Number.isSafeInteger(value) || (value as number) < 1) this.fail(key, 'a positive integer');
    return value as number;
  }

  /** A positive finite number. */
  positive(key: string, fallback: number): number {
    const value = this.config[key] ?? fallback;
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) this.fail(key, 'a positive number');
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.config[key] ?? fallback;
    if (typeof value !== 'boolean') this.fail(key, 'true or false');
    return value;
  }

  string(key: string, fallback: string): string {
    const value = this.config[key] ?? fallback;
    if (typeof value !== 'string') this.fail(key, 'a string');
    return value;
  }

  /** A list of positive integers. */
  ints(key: string, fallback: number[]): number[] {
    const value = this.config[key] ?? fallback;
    if (!Array.isArray(value) || value.length === 0 || value.some((v) => !Number.isSafeInteger(v) || v < 1)) this.fail(key, 'a list of positive integers');
    return [...(value as number[])];
  }

  /** A square side: one integer, or [height, width] with height = width (zerograd's models are square). */
  side(key: string, fallback: number): number {
    const value = this.config[key] ?? fallback;
    const side = Array.isArray(value) && value.length === 2 && value[0] === value[1] ? value[0] : value;
    if (!Number.isSafeInteger(side) || (side as number) < 1) this.fail(key, 'a positive integer (or a square [height, width])');
    return side as number;
  }
}
