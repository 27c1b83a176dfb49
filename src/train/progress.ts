// Training progress: a cli-progress bar (loss, accuracy, samples/s, ETA) when stdout is a
// terminal, one plain line per epoch otherwise (logs, CI), or nothing.
import cliProgress from 'cli-progress';
import type { EpochLogs } from './types.js';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/** What fit() tells the progress display. */
export interface Progress {
  epochBegin(epoch: number, epochs: number, steps: number, doneSteps: number): void;
  batch(doneSteps: number, loss: number, accuracy: number, samplesPerSecond: number): void;
  epochEnd(logs: EpochLogs, epochs: number, samplesPerSecond: number): void;
  /** A message (early stopping, checkpoint, interrupt) printed without breaking the bar. */
  log(line: string): void;
  close(): void;
}

const percent = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : 'n/a');
const fixed = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));

/** The one-line summary of an epoch. */
export function formatEpoch(logs: EpochLogs, epochs: number, samplesPerSecond: number): string {
  const parts = [
    `epoch ${logs.epoch}/${epochs}`,
    `loss ${fixed(logs.loss)}`,
    `accuracy ${percent(logs.accuracy)}`,
    ...(logs.val_loss !== undefined ? [`val_loss ${fixed(logs.val_loss)}`] : []),
    ...(logs.val_accuracy !== undefined ? [`val_accuracy ${percent(logs.val_accuracy)}`] : []),
    `${logs.seconds.toFixed(1)} s`,
    `${Math.round(samplesPerSecond).toLocaleString('en-US')} samples/s`,
    `lr ${logs.lr.toPrecision(3)}`,
  ];
  return parts.join('  ');
}

/** Plain lines: one per epoch, plus log lines. */
class LineProgress implements Progress {
  constructor(private readonly write: (line: string) => void) {}
  epochBegin(): void {}
  batch(): void {}
  epochEnd(logs: EpochLogs, epochs: number, samplesPerSecond: number): void {
    this.write(formatEpoch(logs, epochs, samplesPerSecond));
  }
  log(line: string): void {
    this.write(line);
  }
  close(): void {}
}

/** A live bar per epoch on a terminal; each finished epoch leaves its summary line. */
class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | null = null;

  epochBegin(epoch: number, epochs: number, steps: number, doneSteps: number): void {
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${epoch + 1}/${epochs} {bar} {value}/{total} | loss {loss} | acc {acc} | {speed} samples/s | ETA {eta_formatted}`,
      stream: process.stdout,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 10,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(steps, doneSteps, { loss: '-', acc: '-', speed: '-' });
  }

  batch(doneSteps: number, loss: number, accuracy: number, samplesPerSecond: number): void {
    this.bar?.update(doneSteps, { loss: fixed(loss), acc: percent(accuracy), speed: Math.round(samplesPerSecond).toLocaleString('en-US') });
  }

  epochEnd(logs: EpochLogs, epochs: number, samplesPerSecond: number): void {
    this.stopBar();
    process.stdout.write(`${formatEpoch(logs, epochs, samplesPerSecond)}\n`);
  }

  log(line: string): void {
    process.stdout.write(`\r\x1b[K${line}\n`);
  }

  close(): void {
    this.stopBar();
  }

  private stopBar(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}

/** The progress display for `mode` ('auto': a bar on a TTY, lines otherwise). */
export function createProgress(mode: ProgressMode, write: (line: string) => void = console.log): Progress {
  const resolved = mode === 'auto' ? (process.stdout.isTTY ? 'bar' : 'lines') : mode;
  if (resolved === 'bar') return new BarProgress();
  if (resolved === 'lines') return new LineProgress(write);
  return { epochBegin() {}, batch() {}, epochEnd() {}, log: write, close() {} };
}
