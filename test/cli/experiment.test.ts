// zerograd experiment finetune --quick on the micro ViT: results, table, plot and report; a rerun
// skips the cells already done; experiments registered by other files appear under the parent.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { microBackbone, zerograd } from './helpers-zerograd.js';

afterEach(() => vi.restoreAllMocks());

describe('zerograd experiment finetune', () => {
  const dir = tempDir('zerograd-cli-experiment-');
  const backbone = join(dir, 'backbone');
  beforeAll(async () => { await microBackbone(backbone, 'contrastive', 'wasm'); });

  it('writes results.json, table.md, the plot and the report; a rerun reuses the results', async () => {
    const out = join(dir, 'exp');
    const args = ['experiment', 'finetune', '--quick', '--from', backbone, '--out', out, '--arms', 'scratch,head'];
    const first = await zerograd(args);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    for (const file of ['results.json', 'table.md', 'summary.json', 'accuracy.svg', 'accuracy.png', 'report.html']) expect(existsSync(join(out, file)), file).toBe(true);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { arm: string; k: number; seed: number; accuracy: number }[];
    expect(results).toHaveLength(2 * 2 * 2); // arms x K {1, 10} x seeds {0, 1}
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toMatch(/\| from scratch \| \d+\.\d\d ± \d+\.\d\d \(n=2\) \|/);
    const second = await zerograd(args);
    expect(second.code).toBe(0);
    expect(second.out).not.toMatch(/\[\d+\/8\]/);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(results);
  });

  it('lists finetune under experiment and rejects unknown methods', async () => {
    const help = await zerograd(['experiment', '--help']);
    expect(help.code).toBe(0);
    const bad = await zerograd(['experiment', 'finetune', '--from', backbone, '--arms', 'scratch,adapters', '--out', join(dir, 'bad')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown method 'adapters'/);
  });
});
