// The HTTP API through Fastify's inject: predictions from PNG, JPEG and JSON (single and batch),
// a 4xx JSON error for every kind of bad request (405 with Allow for a wrong method), metrics (Prometheus
// text and JSON), health while busy, back-pressure and shutdown.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../src/data/image.js';
import { decodeReplaySet } from '../../src/finetune/replay-set.js';
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
    ['a truncated PNG', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: digitPng(0).file.subarray(0, 60) }, 400, 'bad_image', /truncated PNG/],
    ['a blank image', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: blankPng() }, 400, 'bad_image', /no visible ink/],
    ['a body over the limit', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(65 * 1024, 1) }, 413, 'body_too_large', /65536-byte limit/],
    ['invalid JSON', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'application/json' }, payload: '{"pixels": [0, 1' }, 400, 'bad_json', /not valid JSON/],
    ['a JSON array instead of an object', json([0, 1]), 400, 'bad_json', /JSON object/],
    ['no pixels field', json({ image: [] }), 400, 'missing_pixels', /no "pixels" field/],
    ['pixels of the wrong type', json({ pixels: 'abc' }), 400, 'bad_pixels', /must be an array/],
    ['the wrong number of pixels', json({ pixels: [0.5, 0.5] }), 400, 'wrong_length', /has 2 values, expected 784/],
    ['a NaN pixel (as a string)', json({ pixels: [...Array(783).fill(0), 'NaN'] }), 400, 'bad_value', /pixels\[783\] is "NaN"/],
    ['a null pixel', json({ pixels: [null, ...Array(783).fill(0)] }), 400, 'bad_value', /pixels\[0\] is null/],
    ['a pixel of 1e999', rawJson(`{"pixels": [1e999${',0'.repeat(783)}]}`), 400, 'out_of_range', /pixels\[0\] is Infinity \(a number too large to represent, e\.g\. 1e999\)/],
    ['a JSON null body', rawJson('null'), 400, 'bad_json', /the JSON body is null; expected a JSON object/],
    ['a JSON number body', rawJson('7'), 400, 'bad_json', /the JSON body is a number; expected a JSON object/],
    ['a "__proto__" key and no pixels', rawJson('{"__proto__": {"pixels": [0]}}'), 400, 'missing_pixels', /no "pixels" field/],
    ['an image over the pixel limit', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: digitPng(0, 74).file }, 413, 'image_too_large', /is 2072x2072 pixels \(4\.3 MP\); at most 4194304 pixels/],
    ['a PNG header claiming 20000x20000 pixels', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: pngHeader(20000, 20000) }, 413, 'image_too_large', /20000x20000 pixels \(400\.0 MP\)/],
    ['a JPEG frame header claiming 9500x9500 pixels', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/jpeg' }, payload: jpegHeader(9500, 9500) }, 413, 'image_too_large', /JPEG is 9500x9500 pixels/],
    ['a PNG without its IHDR', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: digitPng(0).file.subarray(0, 20) }, 400, 'bad_image', /no complete IHDR header/],
    ['a pixel out of range', json({ pixels: [...Array(10).fill(0), 255, ...Array(773).fill(0)] }), 400, 'out_of_range', /pixels\[10\] is 255/],
    ['a bad row in a batch', json({ pixels: [Array(784).fill(0), Array(783).fill(0)] }), 400, 'wrong_length', /pixels\[1\] has 783 values/],
    ['an empty batch', json({ pixels: [] }), 400, 'wrong_length', /has 0 values/],
    ['a batch over the limit', json({ pixels: Array.from({ length: 17 }, () => Array(784).fill(0)) }), 413, 'batch_too_large', /at most 16/],
    ['an unsupported content type', { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'text/plain' }, payload: 'seven' }, 415, 'unsupported_content_type', /text\/plain/],
    ['no content type', { method: 'POST', url: '/v1/predict', payload: Buffer.from('x') }, 415, 'missing_content_type', /Content-Type/],
    ['an unknown route', { method: 'GET', url: '/v2/predict' }, 404, 'not_found', /no route GET \/v2\/predict/],
    ['GET on the predict route', { method: 'GET', url: '/v1/predict' }, 405, 'method_not_allowed', /GET is not supported on \/v1\/predict; use POST/],
    ['POST on the health route', { method: 'POST', url: '/healthz', headers: { 'content-type': 'application/json' }, payload: '{}' }, 405, 'method_not_allowed', /use GET or HEAD/],
    ['DELETE on the page', { method: 'DELETE', url: '/index.html' }, 405, 'method_not_allowed', /use GET or HEAD/],
  ];
  it.each(badRequests)('answers %s with a JSON error', async (_what, request, status, code, message) => {
    const res = await app.inject(request);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = res.json() as { statusCode: number; error: string; message: string };
    expect(body).toMatchObject({ statusCode: status, error: code });
    expect(body.message).toMatch(message);
    if (status === 405) expect(res.headers.allow).toBe(request.url === '/v1/predict' ? 'POST' : 'GET, HEAD');
  });

  it('drops a "__proto__" key like any unknown key, and nothing is polluted', async () => {
    const { pixels, label } = digitPixels(4);
    const res = await app.inject(rawJson(`{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "pixels": ${JSON.stringify(pixels)}}`));
    expect(res.statusCode).toBe(200);
    expect(res.json().label).toBe(label);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

/** A JSON request with this exact body text (JSON.stringify cannot write 1e999). */
function rawJson(payload: string) {
  return { method: 'POST' as const, url: '/v1/predict', headers: { 'content-type': 'application/json' }, payload };
}

/** Only the signature and IHDR chunk of a PNG: a decoder would fail on the missing image data, so a 413 means it was never called. */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4);
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.set([1, 0, 0, 0, 0], 16); // 1-bit gray
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
}

/** SOI, an APP0 segment and a baseline frame header (SOF0) of a JPEG, no image data. */
function jpegHeader(width: number, height: number): Buffer {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof = [0xff, 0xc0, 0x00, 0x0b, 8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0];
  return Buffer.from([0xff, 0xd8, ...app0, ...sof]);
}

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
  it('reports health, the model and the model files', async () => {
    expect((await app.inject('/healthz')).json()).toMatchObject({ status: 'ok', model: 'mnist-cnn' });
    expect((await app.inject('/v1/model')).json()).toMatchObject({ classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], inputShape: [1, 28, 28] });
    const config = await app.inject('/model/config.json');
    expect(config.json()).toMatchObject({ format: 'zerograd-model', name: 'mnist-cnn' });
    const weights = await app.inject('/model/model.safetensors');
    expect(weights.rawPayload.length).toBeGreaterThan(100_000);
    const replay = await app.inject('/model/replay.bin'); // the page's rehearsal set for an MNIST model
    expect(replay.statusCode).toBe(200);
    expect(decodeReplaySet(new Uint8Array(replay.rawPayload))).toHaveLength(200);
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

describe('GET /metrics', () => {
  it('counts exactly the requests of its own server, in JSON (Accept or /metrics.json) and Prometheus text (the default)', async () => {
    const { app: own } = buildServer({ loaded: await shippedModel(), maxBatch: 4 });
    const good = json({ pixels: [digitPixels(0).pixels, digitPixels(1).pixels] });
    for (const request of [good, json({ pixels: digitPixels(2).pixels }), json({ pixels: [1] }), { ...good, headers: { 'content-type': 'text/plain' } }]) await own.inject(request);
    await own.inject('/healthz'); // not an API route: not counted
    const viaAccept = (await own.inject({ url: '/metrics', headers: { accept: 'application/json' } })).json();
    const viaPath = (await own.inject('/metrics.json')).json();
    for (const metrics of [viaAccept, viaPath]) {
      expect(metrics).toMatchObject({ requests: 4, predictions: 3, errors: 2, errorsByStatus: { 400: 1, 415: 1 }, requestsByStatus: { 200: 2, 400: 1, 415: 1 }, latencyMs: { count: 2 } });
      expect(metrics.durationSeconds.count).toBe(4);
      expect(metrics.latencyMs.p99).toBeGreaterThanOrEqual(metrics.latencyMs.p50);
    }
    const text = await own.inject('/metrics');
    expect(text.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheus(text.body);
    expect(families.get('zerograd_requests_total')?.samples).toEqual([['zerograd_requests_total{status="200"}', 2], ['zerograd_requests_total{status="400"}', 1], ['zerograd_requests_total{status="415"}', 1]]);
    expect(families.get('zerograd_predictions_total')?.samples).toEqual([['zerograd_predictions_total', 3]]);
    const histogram = families.get('zerograd_request_duration_seconds');
    expect(histogram?.type).toBe('histogram');
    const buckets = (histogram?.samples ?? []).filter(([name]) => name.includes('_bucket')).map(([, v]) => v);
    expect(buckets.every((v, i) => i === 0 || v >= buckets[i - 1])).toBe(true); // cumulative
    expect(histogram?.samples).toContainEqual(['zerograd_request_duration_seconds_bucket{le="+Inf"}', 4]);
    expect(histogram?.samples).toContainEqual(['zerograd_request_duration_seconds_count', 4]);
    expect(families.get('zerograd_inference_workers')?.samples).toEqual([['zerograd_inference_workers', 0]]);
    await own.close();
  });
});

/**
 * Parses Prometheus text and checks its rules: every sample's family has HELP and TYPE before it, counters end in
 * _total, a family's samples are all labelled or all unlabelled with the same label names, histograms have
 * _bucket (with le, ending at +Inf), _sum and _count. Family name -> its type and [series, value] samples.
 */
function parsePrometheus(text: string): Map<string, { type: string; samples: [string, number][] }> {
  const families = new Map<string, { type: string; help: boolean; samples: [string, number][]; labels?: string }>();
  let current = '';
  for (const line of text.trimEnd().split('\n')) {
    const meta = /^# (HELP|TYPE) (\w+) (.+)$/.exec(line);
    if (meta) {
      current = meta[2];
      const family = families.get(current) ?? { type: '', help: false, samples: [] };
      if (meta[1] === 'HELP') family.help = true;
      else family.type = meta[3];
      families.set(current, family);
      continue;
    }
    const sample = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample: ${line}`);
    const family = families.get(current);
    if (!family?.help || !family.type) throw new Error(`${line}: no HELP and TYPE before it`);
    const suffix = sample[1].slice(current.length);
    const allowed = family.type === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
    if (!sample[1].startsWith(current) || !allowed.includes(suffix)) throw new Error(`${line}: not a sample of ${current} (${family.type})`);
    if (family.type === 'counter' && !current.endsWith('_total')) throw new Error(`counter ${current} does not end in _total`);
    const labels = (sample[2] ?? '').replace(/="[^"]*"/g, '');
    if (suffix === '' && family.labels !== undefined && family.labels !== labels) throw new Error(`${line}: labels ${labels} beside ${family.labels} in ${current}`);
    if (suffix === '') family.labels = labels;
    if (suffix === '_bucket' && labels !== '{le}') throw new Error(`${line}: a bucket without le`);
    family.samples.push([sample[1] + (sample[2] ?? ''), Number(sample[3])]);
  }
  for (const [name, family] of families) {
    if (family.type === 'histogram' && !family.samples.some(([series]) => series === `${name}_bucket{le="+Inf"}`)) throw new Error(`${name}: no +Inf bucket`);
  }
  return families;
}

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
    await closing.ready();
    const payload = json({ pixels: digitPixels(0).pixels });
    const pending = Array.from({ length: 10 }, () => closing.inject(payload));
    for (let i = 0; i < 100_000 && queue.depth === 0; i++) await new Promise((r) => setImmediate(r));
    const queued = queue.depth;
    expect(queued).toBeGreaterThan(0);
    const closed = closing.close();
    const during = await closing.inject(payload); // while the queue drains
    expect(during.statusCode).toBe(503);
    expect(during.json()).toMatchObject({ statusCode: 503, error: 'shutting_down' });
    await closed;
    const results = await Promise.all(pending);
    expect(results.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(queued);
    expect(results.every((r) => r.statusCode === 200 || r.statusCode === 503)).toBe(true);
    await expect(closing.inject(payload)).rejects.toThrow(/closed/);
  });
});
