// The HTTP API through Fastify's inject: predictions from PNG, JPEG and JSON (single and batch),
// a 4xx JSON error for every kind of bad request, metrics, health while busy, back-pressure and shutdown.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../src/data/image.js';
import { readModelFiles } from '../../src/serve/load.js';
import { buildServer } from '../../src/serve/server.js';
import { digitJpeg, digitPixels, digitPng, shippedModel, SHIPPED_MODEL } from './helpers.js';

let app: FastifyInstance;
const page = new Map([['/index.html', { body: Buffer.from('<!doctype html><title>page</title>'), type: 'text/html; charset=utf-8' }]]);

beforeAll(async () => {
  app = buildServer({ loaded: await shippedModel(), modelFiles: readModelFiles(SHIPPED_MODEL), page, bodyLimit: 64 * 1024, maxBatch: 16 }).app;
});
afterAll(() => app.close());

const json = (payload: unknown) => ({ method: 'POST' as const, url: '/v1/predict', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

describe('POST /v1/predict', () => {
  it('classifies PNG and JPEG uploads of any size', async () => {
    for (const [index, scale] of [[0, 3], [1, 1], [2, 9]] as const) {
      const { file, label } = digitPng(index, scale);
      const res = await app.inject({ method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: file });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { label: number; className: string; probabilities: number[] };
      expect(body.label).toBe(label);
      expect(body.className).toBe(String(label));
      expect(body.probabilities).toHaveLength(10);
      expect(body.probabilities.reduce((p, v) => p + v, 0)).toBeCloseTo(1, 4);
    }
    const { file, label } = digitJpeg(3);
    const res = await app.inject({ method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/jpeg' }, payload: file });
    expect(res.json().label).toBe(label);
    const sniffed = await app.inject({ method: 'POST', url: '/v1/predict', headers: { 'content-type': 'application/octet-stream' }, payload: file });
    expect(sniffed.json().label).toBe(label);
  });

  it('classifies JSON pixels, one image or a batch', async () => {
    const one = digitPixels(4);
    const res = await app.inject(json({ pixels: one.pixels }));
    expect(res.statusCode).toBe(200);
    expect(res.json().label).toBe(one.label);
    const batch = [5, 6, 7].map(digitPixels);
    const many = await app.inject(json({ pixels: batch.map((d) => d.pixels) }));
    expect(many.statusCode).toBe(200);
    const predictions = (many.json() as { predictions: { label: number }[] }).predictions;
    expect(predictions.map((p) => p.label)).toEqual(batch.map((d) => d.label));
  });

  const badRequests: [string, Parameters<FastifyInstance['inject']>[0], number, string, RegExp][] = [
    ['an empty JSON body', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'application/json' } }, 400, 'empty_body', /empty/],
    ['an empty image body', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(0) }, 400, 'empty_body', /empty/],
    ['bytes that are not an image', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: Buffer.from('definitely not a png') }, 400, 'bad_image', /not a PNG or JPEG/],
    ['a truncated PNG', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: digitPng(0).file.subarray(0, 60) }, 400, 'bad_image', /unreadable PNG/],
    ['a blank image', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: blankPng() }, 400, 'bad_image', /no visible ink/],
    ['a body over the limit', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(65 * 1024, 1) }, 413, 'body_too_large', /65536-byte limit/],
    ['invalid JSON', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'application/json' }, payload: '{"pixels": [0, 1' }, 400, 'bad_json', /not valid JSON/],
    ['a JSON array instead of an object', json([0, 1]), 400, 'bad_json', /JSON object/],
    ['no pixels field', json({ image: [] }), 400, 'missing_pixels', /no "pixels" field/],
    ['pixels of the wrong type', json({ pixels: 'abc' }), 400, 'bad_pixels', /must be an array/],
    ['the wrong number of pixels', json({ pixels: [0.5, 0.5] }), 400, 'wrong_length', /has 2 values, expected 784/],
    ['a NaN pixel (as a string)', json({ pixels: [...Array(783).fill(0), 'NaN'] }), 400, 'bad_value', /pixels\[783\] is "NaN"/],
    ['a null pixel', json({ pixels: [null, ...Array(783).fill(0)] }), 400, 'bad_value', /pixels\[0\] is null/],
    ['a pixel out of range', json({ pixels: [...Array(10).fill(0), 255, ...Array(773).fill(0)] }), 400, 'out_of_range', /pixels\[10\] is 255/],
    ['a bad row in a batch', json({ pixels: [Array(784).fill(0), Array(783).fill(0)] }), 400, 'wrong_length', /pixels\[1\] has 783 values/],
    ['an empty batch', json({ pixels: [] }), 400, 'wrong_length', /has 0 values/],
    ['a batch over the limit', json({ pixels: Array.from({ length: 17 }, () => Array(784).fill(0)) }), 413, 'batch_too_large', /at most 16/],
    ['an unsupported content type', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'text/plain' }, payload: 'seven' }, 415, 'unsupported_content_type', /text\/plain/],
    ['no content type', { method: 'POST', url: '/v1/predict', payload: Buffer.from('x') }, 415, 'missing_content_type', /Content-Type/],
    ['an unknown route', { method: 'GET', url: '/v2/predict' }, 404, 'not_found', /no route GET \/v2\/predict/],
    ['GET on the predict route', { method: 'GET', url: '/v1/predict' }, 404, 'not_found', /no route/],
  ];
  it.each(badRequests)('answers %s with a JSON error', async (_what, request, status, code, message) => {
    const res = await app.inject(request);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = res.json() as { statusCode: number; error: string; message: string };
    expect(body).toMatchObject({ statusCode: status, error: code });
    expect(body.message).toMatch(message);
  });
});

/** A PNG of plain white paper: no ink to read. */
function blankPng(): Buffer {
  return encodePng(new Uint8Array(40 * 40 * 4).fill(255), 40, 40, 4);
}

describe('POST /v1/explain', () => {
  it('returns the prediction with a 784-value saliency map', async () => {
    const { pixels, label } = digitPixels(0);
    const res = await app.inject({ method: 'POST', url: '/v1/explain?steps=8', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pixels }) });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { label: number; saliency: number[]; method: string };
    expect(body.label).toBe(label);
    expect(body.method).toBe('integrated-gradients');
    expect(body.saliency).toHaveLength(784);
    expect(body.saliency.some((v) => v !== 0)).toBe(true);
    const bad = await app.inject({ method: 'POST', url: '/v1/explain?method=magic', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pixels }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/method must be/);
  });
});

describe('GET routes', () => {
  it('reports health, the model, metrics (JSON and Prometheus) and the model files', async () => {
    expect((await app.inject('/healthz')).json()).toMatchObject({ status: 'ok', model: 'mnist-cnn' });
    expect((await app.inject('/v1/model')).json()).toMatchObject({ classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], inputShape: [1, 28, 28] });
    const metrics = (await app.inject('/metrics')).json() as { requests: number; errors: number; predictions: number; latencyMs: { p50: number; p99: number }; errorsByStatus: Record<string, number> };
    expect(metrics.requests).toBeGreaterThan(20);
    expect(metrics.errors).toBeGreaterThan(15);
    expect(metrics.errorsByStatus['415']).toBeGreaterThanOrEqual(2);
    expect(metrics.predictions).toBeGreaterThanOrEqual(9);
    expect(metrics.latencyMs.p99).toBeGreaterThanOrEqual(metrics.latencyMs.p50);
    const text = await app.inject('/metrics?format=prometheus');
    expect(text.body).toMatch(/^zerograd_requests_total \d+$/m);
    expect(text.body).toMatch(/zerograd_latency_ms\{quantile="0.99"\}/);
    const config = await app.inject('/model/config.json');
    expect(config.json()).toMatchObject({ format: 'zerograd-model', name: 'mnist-cnn' });
    const weights = await app.inject('/model/model.safetensors');
    expect(weights.rawPayload.length).toBeGreaterThan(100_000);
  });

  it('serves the page with cross-origin isolation headers', async () => {
    for (const url of ['/', '/?engine=api', '/index.html']) {
      const res = await app.inject(url);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<title>page</title>');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['cross-origin-embedder-policy']).toBe('require-corp');
    }
  });
});

describe('load handling', () => {
  it('answers health checks while predictions are queued, and batches them', async () => {
    const { app: busy, queue } = buildServer({ loaded: await shippedModel(), maxBatch: 4, maxQueued: 10_000 });
    const { pixels } = digitPixels(0);
    const payload = JSON.stringify({ pixels });
    const work = Array.from({ length: 200 }, () => busy.inject({ method: 'POST', url: '/v1/predict', headers: { 'content-type': 'application/json' }, payload }));
    let finished = false;
    const all = Promise.all(work).then((r) => { finished = true; return r; });
    let answeredWhileBusy = 0;
    while (!finished) {
      await new Promise((r) => setImmediate(r)); // inject resolves in microtasks; real requests arrive as I/O between batches
      const health = await busy.inject('/healthz');
      expect(health.statusCode).toBe(200);
      if ((health.json() as { queueDepth: number }).queueDepth > 0) answeredWhileBusy++;
    }
    const results = await all;
    expect(answeredWhileBusy).toBeGreaterThan(0);
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect(queue.batches).toBeLessThan(200); // micro-batching merged requests
    await busy.close();
  });

  it('rejects work beyond the queue limit with 503 and Retry-After', async () => {
    const { app: small } = buildServer({ loaded: await shippedModel(), maxQueued: 1, maxBatch: 8 });
    const res = await small.inject(json({ pixels: [digitPixels(0).pixels, digitPixels(1).pixels] }));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ error: 'overloaded' });
    await small.close();
  });

  it('finishes queued requests when closed, then refuses new ones', async () => {
    const { app: closing, queue } = buildServer({ loaded: await shippedModel(), maxBatch: 1 });
    const payload = json({ pixels: digitPixels(0).pixels });
    const pending = Array.from({ length: 10 }, () => closing.inject(payload));
    for (let i = 0; i < 100_000 && queue.depth === 0; i++) await new Promise((r) => setImmediate(r));
    const queued = queue.depth;
    expect(queued).toBeGreaterThan(0);
    await closing.close();
    const results = await Promise.all(pending);
    expect(results.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(queued);
    expect(results.every((r) => r.statusCode === 200 || r.statusCode === 503)).toBe(true);
    expect((await closing.inject(payload).catch(() => null))?.statusCode ?? 503).toBe(503);
  });
});
