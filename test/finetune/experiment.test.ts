// The experiment's summary: mean ± sample std per (method, K), the markdown table, the
// beats-from-scratch check, and the files the report writer leaves.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { beatsScratch, formatTable, summarize, writeExperimentReport, type ExperimentResult } from '../../src/finetune/experiment.js';
import { tempDir } from '../data/helpers.js';

const cell = (arm: ExperimentResult['arm'], k: number, seed: number, accuracy: number): ExperimentResult => ({ arm, k, seed, accuracy, trainable: 1, total: 2, steps: 1, seconds: 1, loadavg: 1 });
const results = [
  cell('scratch', 1, 0, 0.3), cell('scratch', 1, 1, 0.5), cell('scratch', 1, 2, 0.4),
  cell('full', 1, 0, 0.8), cell('full', 1, 1, 0.9), cell('full', 1, 2, 0.85),
  cell('scratch', 10, 0, 0.9), cell('full', 10, 0, 0.85),
];

describe('experiment summary', () => {
  it('mean and sample standard deviation per method and K', () => {
    const rows = summarize(results, ['scratch', 'full'], [1, 10]);
    expect(rows[0]).toMatchObject({ arm: 'scratch', k: 1, runs: 3 });
    expect(rows[0].mean).toBeCloseTo(0.4, 12);
    expect(rows[0].std).toBeCloseTo(0.1, 12);
    expect(rows.find((r) => r.arm === 'full' && r.k === 10)).toMatchObject({ runs: 1, std: 0 });
  });

  it('formats a table with one row per method and marks cells with fewer than 3 runs', () => {
    const table = formatTable(summarize(results, ['scratch', 'full', 'lora'], [1, 10]), ['scratch', 'full', 'lora'], [1, 10]);
    expect(table.split('\n')[0]).toBe('| method | K = 1 (10 labels) | K = 10 (100 labels) |');
    expect(table).toContain('| from scratch | 40.00 ± 10.00 | 90.00 ± 0.00 (n=1) |');
    expect(table).toContain('| LoRA | — | — |');
  });

  it('says where fine-tuning does not beat from-scratch', () => {
    expect(beatsScratch(summarize(results, ['scratch', 'full'], [1, 10]))).toEqual({ 'full@K=1': true, 'full@K=10': false });
  });

  it('writes table.md, summary.json, the chart and report.html', async () => {
    const dir = tempDir('zerograd-experiment-');
    const path = await writeExperimentReport(dir, results, ['scratch', 'full'], [1, 10], { note: 'test' });
    for (const file of ['table.md', 'summary.json', 'accuracy.svg', 'accuracy.png']) expect(existsSync(join(dir, file)), file).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('<td>40.00 ± 10.00</td>');
  });
});
