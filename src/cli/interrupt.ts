// Ctrl-C (SIGINT) for the long commands: the first one asks the work to stop at its next safe point
// (training saves a checkpoint); a second one, or the first in a phase that cannot stop gracefully,
// exits at once with code 130 and a line saying what is on disk and how to continue.
import { existsSync } from 'node:fs';

/** What a Ctrl-C does in the current phase of a command. */
export interface InterruptPhase {
  /** Printed (after "zerograd: interrupted; ") when Ctrl-C exits at once: what is saved and how to go on. */
  message: string | (() => string);
  /** Exit at the first Ctrl-C instead of asking the work to stop (e.g. while writing a report). */
  immediate?: boolean;
}

/** The Ctrl-C handler of one command run; dispose() removes it. */
export interface InterruptWatch {
  /** Aborted at the first Ctrl-C (or when the caller's signal aborts). */
  readonly signal: AbortSignal;
  phase(next: InterruptPhase): void;
  dispose(): void;
}

/** Installs the SIGINT handler; `outer` (tests, embedding programs) aborts like a Ctrl-C. */
export function watchInterrupts(first: InterruptPhase, outer?: AbortSignal): InterruptWatch {
  const controller = new AbortController();
  let current = first;
  const onSigint = (): void => {
    if (controller.signal.aborted || current.immediate) {
      console.error(`zerograd: interrupted; ${typeof current.message === 'string' ? current.message : current.message()}`);
      process.exit(130);
    }
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const onOuter = (): void => controller.abort();
  if (outer?.aborted) controller.abort();
  outer?.addEventListener('abort', onOuter);
  return {
    signal: controller.signal,
    phase(next) { current = next; },
    dispose() {
      process.off('SIGINT', onSigint);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

/** The message of a training phase: the last checkpoint on disk (steps after it are lost) and the command that continues it. */
export function checkpointHint(lastCheckpoint: string, resumeCommand: string): () => string {
  return () => (existsSync(lastCheckpoint)
    ? `the last checkpoint is ${lastCheckpoint} (steps after it are lost). Continue with: ${resumeCommand}`
    : 'no checkpoint was written yet; start the run again');
}

/** One turn of the event loop, so that a pending Ctrl-C reaches the handler. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
