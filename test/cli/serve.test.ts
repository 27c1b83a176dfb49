// `zerograd serve`, spawned: listens on a free port, serves the API and the page, answers a bad request, an
// oversized image and a wrong method with JSON, and on SIGTERM finishes (its inference workers included) and exits 0.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digitPng, pngBomb, ROOT, runCli, SHIPPED_MODEL } from '../serve/helpers.js';

describe('zerograd serve', () => {
  it('serves predictions and stops gracefully on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'run.ts'), 'serve', '--model', SHIPPED_MODEL, '--port', '0', '--workers', '2', '--threads', '1', '--max-image-pixels', '4000000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout}${stderr}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const match = /on (http:\/\/\S+)/.exec(stdout);
        if (match) { clearTimeout(timer); resolve(match[1]); }
      });
    });
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok' });
      const { file, label } = digitPng(0);
      const res = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: file });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { label: number }).label).toBe(label);
      const bad = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"pixels": [1, 2, 3]}' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: 'wrong_length' });
      const bomb = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: pngBomb(3000, 3000) });
      expect(bomb.status).toBe(413); // --max-image-pixels 4000000
      expect(((await bomb.json()) as { message: string }).message).toMatch(/3000x3000 pixels \(9\.0 MP\); at most 4000000 pixels/);
      const wrongMethod = await fetch(`${url}/v1/predict`);
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST');
      const metrics = (await (await fetch(`${url}/metrics.json`)).json()) as { requests: number; errors: number };
      expect(metrics).toMatchObject({ requests: 3, errors: 2, inference: { where: 'worker', workers: 2, workerRestarts: 0 } });
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^zerograd_requests_total\{status="413"\} 1$/m);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/SIGTERM: finishing queued requests, then stopping\nstopped\n$/);
    expect(stderr).toBe('');
  });

  it('rejects bad flags before starting', async () => {
    const run = await runCli(['serve', '--model', SHIPPED_MODEL, '--port', '70000']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("zerograd: --port must be an integer from 0 to 65535, got '70000'\n(see 'zerograd serve --help')");
    const where = await runCli(['serve', '--model', SHIPPED_MODEL, '--inference', 'gpu']);
    expect(where.code).toBe(2);
    expect(where.stderr.trim()).toBe("zerograd: --inference must be 'worker' or 'main', got 'gpu'\n(see 'zerograd serve --help')");
    const workers = await runCli(['serve', '--model', SHIPPED_MODEL, '--workers', '0']);
    expect(workers.code).toBe(2);
    expect(workers.stderr.trim()).toBe("zerograd: --workers must be an integer from 1 to 64, got '0'\n(see 'zerograd serve --help')");
    const mainWorkers = await runCli(['serve', '--model', SHIPPED_MODEL, '--inference', 'main', '--workers', '2']);
    expect(mainWorkers.code).toBe(2);
    expect(mainWorkers.stderr).toMatch(/--workers needs --inference worker/);
    const pixels = await runCli(['serve', '--model', SHIPPED_MODEL, '--max-image-pixels', '0']);
    expect(pixels.code).toBe(2);
    expect(pixels.stderr).toMatch(/--max-image-pixels must be an integer from 1 to 2147483648, got '0'/);
    const deadlines = await runCli(['serve', '--model', SHIPPED_MODEL, '--timeout', '2000', '--header-timeout', '3000']);
    expect(deadlines.code).toBe(2);
    expect(deadlines.stderr).toMatch(/--header-timeout \(3000 ms\) must not exceed --timeout \(2000 ms\)/);
  });
});
