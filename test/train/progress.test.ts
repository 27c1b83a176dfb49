// The terminal progress bar: redrawn in place on one line, cleared before each epoch's summary line.
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/train/progress.js';
import type { EpochLogs } from '../../src/train/types.js';

describe('progress', () => {
  it('draws a bar with loss, accuracy, speed and ETA, then leaves the epoch summary', () => {
    const written: string[] = [];
    const terminal = { isTTY: true, columns: 200, write: (text: string) => { written.push(text); return true; } };
    const progress = createProgress('auto', () => { throw new Error('lines mode on a terminal'); }, terminal);
    progress.epochBegin(0, 2, 10, 0);
    progress.batch(10, 0.5, 0.875, 1234);
    const logs: EpochLogs = { epoch: 1, loss: 0.5, accuracy: 0.875, seconds: 1.5, lr: 0.001 };
    progress.epochEnd(logs, 2, 1234);
    progress.close();
    expect(written[0]).toMatch(/^\r\x1b\[Kepoch 1\/2 \u2588{30} 10\/10 \| loss 0\.5000 \| acc 87\.50% \| 1,234 samples\/s \| ETA 0s$/);
    expect(written[1]).toBe('\r\x1b[K');
    expect(written[2]).toMatch(/^epoch 1\/2 {2}loss 0\.5000 {2}accuracy 87\.50% .*\n$/);
    expect(written).toHaveLength(3);
  });

  it('prints lines where there is no terminal', () => {
    const lines: string[] = [];
    const progress = createProgress('auto', (line) => lines.push(line), { isTTY: false, write: () => true });
    progress.epochEnd({ epoch: 1, loss: 0.25, accuracy: 0.5, seconds: 1, lr: 0.01 }, 1, 10);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^epoch 1\/1 {2}loss 0\.2500/);
  });
});
