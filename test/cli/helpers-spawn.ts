// Runs `zerograd <command>` as a child process from source (as a user would), optionally sending it a
// signal (SIGKILL, SIGINT) as soon as a condition on its files holds, e.g. "a checkpoint exists".
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCheckpoint, type CheckpointMeta } from '../../src/train/checkpoint.js';

const repo = resolve(import.meta.dirname, '../..');

export interface SpawnResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  /** True when the signal was sent (the condition held while the process ran). */
  signalled: boolean;
}

/** Spawns the CLI; when `interrupt` is given, sends `interrupt.signal` once `interrupt.when()` is true (polled every 5 ms). */
export function spawnZerograd(args: string[], interrupt?: { signal: NodeJS.Signals; when: () => boolean }): Promise<SpawnResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { cwd: repo });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    let signalled = false;
    let exited = false;
    const timer = interrupt
      ? setInterval(() => {
        if (exited || !interrupt.when()) return;
        clearInterval(timer);
        signalled = child.kill(interrupt.signal);
      }, 5)
      : undefined;
    child.on('error', fail);
    child.on('exit', () => { exited = true; });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      done({ code, signal, out: stdout, err: stderr, signalled });
    });
  });
}

/** The run folder's last checkpoint's metadata, or null while there is none. */
export function lastCheckpointMeta(out: string): CheckpointMeta | null {
  const path = join(out, 'checkpoints', 'last.ckpt');
  return existsSync(path) ? readCheckpoint(path).meta : null; // written atomically: never half a file
}

/** The bytes of a file (weights are compared byte for byte). */
export function bytes(path: string): Buffer {
  return readFileSync(path);
}

/** The last checkpoint in `out` is an end-of-epoch one (of an unfinished run). */
export function atEpochEnd(out: string): boolean {
  const meta = lastCheckpointMeta(out);
  return meta !== null && meta.stepInEpoch === 0 && !meta.finished;
}

/** The last checkpoint in `out` was written in the middle of an epoch (--checkpoint-every). */
export function midEpoch(out: string): boolean {
  const meta = lastCheckpointMeta(out);
  return meta !== null && meta.stepInEpoch > 0;
}

/** Spawns `args` and SIGKILLs it as soon as `when(out)` holds; checks it died that way with that checkpoint on disk. */
export async function killAfterCheckpoint(args: string[], out: string, when: (out: string) => boolean): Promise<void> {
  const killed = await spawnZerograd(args, { signal: 'SIGKILL', when: () => when(out) });
  if (killed.signal !== 'SIGKILL') throw new Error(`the run ended (code ${killed.code}) before it was killed: ${killed.err}`);
  if (!when(out)) throw new Error(`the checkpoint in ${out} changed kind after the kill`);
}
