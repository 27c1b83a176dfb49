// The package as a user gets it: `npm pack` of this checkout, installed into an empty project from the
// tarball (only the npm registry is used, for zerograd's dependencies). There the library trains and
// evaluates from a plain ESM script, a TypeScript consumer type-checks under nodenext and bundler
// resolution, the CLI runs (`npx zerograd --version`, `train`, `eval` of a shipped model), and a Vite app
// that imports 'zerograd' builds with no Node built-in in its bundle and trains in headless Chromium.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launch } from '../web/browser.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = join(import.meta.dirname, 'fixture');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

/** Runs a command without blocking this worker (vitest's RPC must keep running); resolves to its exit code and output. */
function run(command: string, args: string[], cwd: string, timeout = 300_000): Promise<{ code: number; out: string }> {
  const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('the npm package', () => {
  let dir: string;
  let app: string;
  let tarball: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zerograd-package-'));
    const pack = await run(NPM, ['pack', '--pack-destination', dir], ROOT, 600_000);
    if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.out.slice(-2000)}`);
    const name = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!name) throw new Error(`npm pack wrote no tarball:\n${pack.out.slice(-2000)}`);
    tarball = join(dir, name);
    app = join(dir, 'app');
    cpSync(FIXTURE, app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    const install = await run(NPM, ['install', tarball], app, 600_000);
    if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.out.slice(-2000)}`);
  }, 1_200_000);
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('holds compiled JS and types, the kernels, the page and the shipped models, and no sources (<= 5 MB)', async () => {
    expect(statSync(tarball).size).toBeLessThan(5 * 1024 * 1024);
    const listing = await run('tar', ['tzf', tarball], dir);
    const files = listing.out.split('\n').map((f) => f.replace(/^package\//, ''));
    for (const file of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/browser.js', 'dist/src/backend/wasm/kernels.generated.js',
      'bin/zerograd.js', 'web/dist/index.html', 'models/mnist-cnn/model.safetensors', 'models/backbone-vit-tiny-contrastive/config.json']) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.map'))).toEqual([]);
  });

  it('trains and evaluates from a plain ESM script, on wasm without init()', async () => {
    const { code, out } = await run(process.execPath, ['app.mjs'], app);
    expect(code, out).toBe(0);
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { backend: string; accuracy: number; count: number; printed: string };
    expect(result.backend).toBe('wasm');
    expect(result.count).toBe(2000);
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(result.printed).toBe('loss,accuracy,count'); // console.log(evaluate(...)) prints the summary only
  });

  it.each([
    ['nodenext', ['--module', 'nodenext', '--moduleResolution', 'nodenext']],
    ['bundler', ['--module', 'esnext', '--moduleResolution', 'bundler']],
  ])('type-checks a TypeScript consumer under moduleResolution %s', async (_name, flags) => {
    const { code, out } = await run(process.execPath, [TSC, '--noEmit', '--strict', '--target', 'es2022', '--skipLibCheck', ...flags, 'consumer.ts'], app);
    expect(code, out).toBe(0);
  });

  it('runs the CLI: --version, a short train, eval of a shipped model by name', async () => {
    const version = await run(NPM, ['exec', '--', 'zerograd', '--version'], app);
    expect(version.code, version.out).toBe(0);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.out).toContain(`zerograd ${manifest.version}`);
    const train = await run(NPM, ['exec', '--', 'zerograd', 'train', '--model', 'mlp', '--epochs', '1', '--limit', '2000', '--out', 'run', '--no-report', '--progress', 'none'], app);
    expect(train.code, train.out).toBe(0);
    const metrics = JSON.parse(readFileSync(join(app, 'run', 'metrics.json'), 'utf8')) as { test: { accuracy: number } };
    expect(metrics.test.accuracy).toBeGreaterThan(0.7); // 2,000 images, one epoch (chance: 0.1)
    const evaluation = await run(NPM, ['exec', '--', 'zerograd', 'eval', '--model', 'mnist-cnn', '--limit', '500'], app);
    expect(evaluation.code, evaluation.out).toBe(0);
    expect(evaluation.out).toMatch(/accuracy/i);
  });

  describe.runIf(haveChromium)('in a Vite app', () => {
    let server: Server;
    let url: string;

    beforeAll(async () => {
      const build = await run(process.execPath, [VITE, 'build', 'vite-app', '--logLevel', 'warn'], app);
      if (build.code !== 0) throw new Error(`vite build failed:\n${build.out}`);
      const dist = join(app, 'vite-app', 'dist');
      server = createServer((request, response) => {
        const path = join(dist, (request.url ?? '/').split('?')[0].replace(/\/$/, '/index.html'));
        if (!path.startsWith(dist) || !existsSync(path)) { response.writeHead(404).end(); return; }
        const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }[extname(path)] ?? 'application/octet-stream';
        response.writeHead(200, { 'content-type': type, 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
        response.end(readFileSync(path));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    }, 300_000);
    afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    it('bundles the browser entry: no Node built-in, no Vite browser-external stub', () => {
      const assets = join(app, 'vite-app', 'dist', 'assets');
      const code = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
      expect(code.length).toBeGreaterThan(10_000);
      const near = (pattern: RegExp): string[] => code.match(new RegExp(`.{0,60}(${pattern.source}).{0,20}`, 'g')) ?? [];
      expect(near(/node:[a-z_]+/)).toEqual([]);
      expect(near(/__vite-browser-external/)).toEqual([]);
      expect(near(/\brequire\(["'](fs|path|os|zlib|events|stream|readline)["']\)/)).toEqual([]);
    });

    it('trains and evaluates in headless Chromium on the wasm backend', async () => {
      const browser = await launch();
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await page.waitForSelector('body[data-result], body[data-error]', { timeout: 120_000 });
        expect(await page.getAttribute('body', 'data-error')).toBeNull();
        const result = JSON.parse((await page.getAttribute('body', 'data-result')) ?? '{}') as { backend: string; accuracy: number; isolated: boolean };
        expect(result.isolated).toBe(true);
        expect(result.backend).toBe('wasm');
        expect(result.accuracy).toBeGreaterThan(0.9);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  });
});
