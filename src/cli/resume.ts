// What `--resume` refuses in every long command (train, pretrain, finetune): a flag typed with another
// value than the run being resumed had, since the result could then not be the same as the run's.
import { UsageError } from '../errors.js';

/** One flag to check: its name, the value typed (undefined: not typed), and the run's value. */
export type FlagCheck = readonly [flag: string, value: unknown, before: unknown];

/** Throws a UsageError naming the first typed flag whose value differs from the run's. */
export function refuseChangedFlags(checks: readonly FlagCheck[]): void {
  for (const [flag, value, before] of checks) {
    if (value !== undefined && value !== before) {
      throw new UsageError(`--resume: ${flag} differs from the run being resumed (${JSON.stringify(before)}); drop the flag, or start a new run with another --out`);
    }
  }
}
