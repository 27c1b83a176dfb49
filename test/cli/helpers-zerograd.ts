// Runs `zerograd ...` in-process for the CLI tests and captures what it prints.
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export async function zerograd(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => { out.push(parts.join(' ')); });
  vi.spyOn(console, 'warn').mockImplementation((...parts: unknown[]) => { err.push(parts.join(' ')); });
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => { err.push(parts.join(' ')); });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await main(['node', 'zerograd', ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    vi.restoreAllMocks();
  }
}

/** Pretrains the micro ViT on 64 images (seconds): a backbone folder for the fine-tuning tests. */
export async function microBackbone(dir: string, objective = 'contrastive', backend = 'cpu'): Promise<void> {
  const { code, err } = await zerograd(['pretrain', '--backbone', 'vit-micro', '--objective', objective, '--limit', '64', '--batch-size', '16', '--epochs', '1', '--backend', backend, '--out', dir, '--progress', 'none']);
  if (code !== 0) throw new Error(`pretraining the micro backbone failed (${code}): ${err}`);
}
