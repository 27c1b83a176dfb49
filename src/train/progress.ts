// Training progress: a live bar (loss, accuracy, samples/s, ETA) when stdout is a terminal,
// one plain line per epoch otherwise (logs, CI, browsers: console.log), or nothing.
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

/** Where the bar is drawn: Node's stdout when it is a terminal. */
export interface Terminal {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const terminal = (): Terminal | undefined => (globalThis as { process?: { stdout?: Terminal } }).process?.stdout;

/** A live bar per epoch on a terminal (redrawn at most 10 times a second); each finished epoch leaves its summary line. */
class BarProgress implements Progress {
  private label = '';
  private steps = 0;
  private startedAt = 0;
  private startStep = 0;
  private drawnAt = 0;
  private drawn = false;

  constructor(private readonly out: Terminal) {}

  epochBegin(epoch: number, epochs: number, steps: number, doneSteps: number): void {
    this.label = `epoch ${epoch + 1}/${epochs}`;
    this.steps = steps;
    this.startedAt = Date.now();
    this.startStep = doneSteps;
    this.drawnAt = 0;
  }

  batch(doneSteps: number, loss: number, accuracy: number, samplesPerSecond: number): void {
    const now = Date.now();
    if (now - this.drawnAt < 100 && doneSteps < this.steps) return;
    this.drawnAt = now;
    const fraction = this.steps > 0 ? Math.min(1, doneSteps / this.steps) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const rate = (doneSteps - this.startStep) / Math.max(1e-3, (now - this.startedAt) / 1000);
    const eta = rate > 0 ? Math.round((this.steps - doneSteps) / rate) : NaN;
    const line = `${this.label} ${'\u2588'.repeat(filled)}${'\u2591'.repeat(width - filled)} ${doneSteps}/${this.steps}`
      + ` | loss ${fixed(loss)} | acc ${percent(accuracy)} | ${Math.round(samplesPerSecond).toLocaleString('en-US')} samples/s`
      + ` | ETA ${Number.isFinite(eta) ? `${eta}s` : '-'}`;
    this.out.write(`\r\x1b[K${line.slice(0, Math.max(20, (this.out.columns ?? 120) - 1))}`);
    this.drawn = true;
  }

  epochEnd(logs: EpochLogs, epochs: number, samplesPerSecond: number): void {
    this.clear();
    this.out.write(`${formatEpoch(logs, epochs, samplesPerSecond)}\n`);
  }

  log(line: string): void {
    this.out.write(`\r\x1b[K${line}\n`);
    this.drawn = false;
  }

  close(): void {
    this.clear();
  }

  private clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** The progress display for `mode` ('auto': a bar on a TTY, lines otherwise). */
export function createProgress(mode: ProgressMode, write: (line: string) => void = console.log, out: Terminal | undefined = terminal()): Progress {
  const resolved = mode === 'auto' ? (out?.isTTY ? 'bar' : 'lines') : mode;
  if (resolved === 'bar') return out ? new BarProgress(out) : new LineProgress(write);
  if (resolved === 'lines') return new LineProgress(write);
  return { epochBegin() {}, batch() {}, epochEnd() {}, log: write, close() {} };
}
