// Shared by the browser tests: builds the page if needed, starts the API + page server on a free
// port, and launches Debian's headless Chromium through playwright-core (no browser downloads).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { init } from '../../src/backend/registry.js';
import { loadModel } from '../../src/io/model-folder.js';
import { readModelFiles } from '../../src/serve/load.js';
import { buildServer } from '../../src/serve/server.js';
import { loadStaticDir } from '../../src/serve/static.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const SHIPPED_MODEL = join(import.meta.dirname, '..', '..', 'models', 'mnist-cnn');
const WEB = join(import.meta.dirname, '..', '..', 'web');

/** True when the browser tests can run here (in CI they must: a missing Chromium fails them). */
export const haveChromium = existsSync(CHROMIUM) || process.env.CI === 'true';

/** web/dist, built with Vite when it is missing. */
export async function ensurePage(): Promise<string> {
  const dist = join(WEB, 'dist');
  if (!existsSync(join(dist, 'index.html')) || !existsSync(join(dist, 'model', 'model.safetensors'))) {
    const vite = await import('vite');
    await vite.build({ configFile: join(WEB, 'vite.config.ts'), logLevel: 'error' });
  }
  return dist;
}

/** The server on 127.0.0.1 with the shipped model and the built page. */
export async function startServer(): Promise<{ app: FastifyInstance; url: string }> {
  const page = loadStaticDir(await ensurePage());
  await init('wasm', { threads: 1 });
  const loaded = loadModel(SHIPPED_MODEL);
  const { app } = buildServer({ loaded, modelFiles: readModelFiles(SHIPPED_MODEL), page });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Draws polyline strokes on the pad; points are fractions (0-1) of its width and height. */
export async function drawStrokes(page: Page, strokes: readonly (readonly [number, number])[][], steps = 8): Promise<void> {
  const box = await page.locator('#pad').boundingBox();
  if (!box) throw new Error('the drawing pad is not visible');
  const at = ([x, y]: readonly [number, number]): [number, number] => [box.x + x * box.width, box.y + y * box.height];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps });
    await page.mouse.up();
  }
}

/** A vertical "1" and a "7" (top bar, then the diagonal down to the left). */
export const ONE: [number, number][][] = [[[0.5, 0.15], [0.5, 0.85]]];
export const SEVEN: [number, number][][] = [[[0.25, 0.18], [0.72, 0.18], [0.42, 0.85]]];
