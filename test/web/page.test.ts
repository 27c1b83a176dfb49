// The draw-a-digit page in real headless Chromium (Debian's, through playwright-core): strokes drawn
// with the mouse are read by the in-page WebAssembly engine, and by the API when forced (?engine=api).
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawStrokes, haveChromium, launch, ONE, SEVEN, startServer } from './browser.js';

describe.runIf(haveChromium)('draw-a-digit page', () => {
  let server: { app: FastifyInstance; url: string };
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.app.close();
  });

  async function open(query: string, blockModelFiles = false): Promise<{ page: Page; errors: string[]; apiCalls: string[] }> {
    const page = await browser.newPage();
    if (blockModelFiles) await page.route('**/model/**', (route) => route.abort());
    const errors: string[] = [];
    const apiCalls: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => { if (r.url().includes('/v1/')) apiCalls.push(new URL(r.url()).pathname); });
    await page.goto(`${server.url}/${query}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    return { page, errors, apiCalls };
  }

  async function readDigit(page: Page, strokes: [number, number][][]): Promise<string> {
    await page.click('#clear');
    await drawStrokes(page, strokes);
    await page.waitForSelector('#saliency[data-label]', { timeout: 30_000 }); // the last step after a stroke
    return (await page.textContent('#prediction')) ?? '';
  }

  it('reads a drawn 1 and 7 in the page itself (WebAssembly), with bars and a saliency map', async () => {
    const { page, errors, apiCalls } = await open('');
    expect(await page.getAttribute('body', 'data-engine')).toBe('browser');
    expect(await page.textContent('#status')).toMatch(/in this page \(WebAssembly/);
    expect(await readDigit(page, ONE)).toBe('1');
    expect(await page.getAttribute('#saliency', 'data-label')).toBe('1');
    expect(await page.locator('#bars li').count()).toBe(10);
    expect(await page.locator('#bars li.best .name').textContent()).toBe('1');
    expect(await readDigit(page, SEVEN)).toBe('7');
    await page.click('#clear');
    expect(await page.textContent('#prediction')).toBe('–');
    expect(apiCalls).toEqual([]); // everything ran in the page
    expect(errors).toEqual([]);
    await page.close();
  });

  it('falls back to the API when in-page inference is off (?engine=api)', async () => {
    const { page, errors, apiCalls } = await open('?engine=api');
    expect(await page.getAttribute('body', 'data-engine')).toBe('api');
    expect(await readDigit(page, SEVEN)).toBe('7');
    expect(apiCalls).toContain('/v1/predict');
    expect(apiCalls).toContain('/v1/explain');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('falls back to the API by itself when the page cannot load the model', async () => {
    const { page, apiCalls } = await open('', true);
    expect(await page.getAttribute('body', 'data-engine')).toBe('api');
    expect(await readDigit(page, ONE)).toBe('1');
    expect(apiCalls).toContain('/v1/predict');
    await page.close();
  });
});
