// Hostile clients against a listening server: decompression bombs refused from their header before any decoding,
// health answered while a large allowed image decodes (off the event loop), slowly trickled bodies and headers cut
// at their deadlines, and connections beyond the cap closed at once.
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '../../src/io/model-config.js';
import { buildServer } from '../../src/serve/server.js';
import { digitPng, pngBomb, shippedModel } from './helpers.js';

let loaded: LoadedModel;
beforeAll(async () => { loaded = await shippedModel(); });

const upload = (file: Buffer) => ({ method: 'POST' as const, url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: file });

describe('image bombs', () => {
  let app: FastifyInstance;
  beforeAll(async () => { app = buildServer({ loaded }).app; await app.ready(); });
  afterAll(() => app.close());

  it('refuses three 20000x20000 PNG bombs at once from their header, without decoding them', async () => {
    const bomb = pngBomb(20000, 20000); // 76 KB on the wire, 400 megapixels decoded
    expect(bomb.length).toBeLessThan(100_000);
    const before = process.memoryUsage().rss;
    const answers = await Promise.all([1, 2, 3].map(() => app.inject(upload(bomb))));
    for (const res of answers) {
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ error: 'image_too_large' });
      expect(res.json().message).toMatch(/20000x20000 pixels \(400\.0 MP\); at most 4194304 pixels/);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20); // decoding one would take 1.6 GB as RGBA
    const metrics = (await app.inject('/metrics.json')).json();
    expect(metrics).toMatchObject({ errorsByStatus: { 413: 3 }, queue: { decoding: 0 } });
  });

  it('answers health checks while a large allowed image decodes in a worker thread', async () => {
    const { app: roomy } = buildServer({ loaded, maxImagePixels: 6000 * 6000 });
    await roomy.ready();
    const order: string[] = [];
    const big = roomy.inject(upload(pngBomb(6000, 6000))).then((res) => { order.push('image'); return res; }); // 36 MP of white paper
    await new Promise((r) => setTimeout(r, 20)); // the upload is in the decoding thread now
    const health = await roomy.inject('/healthz');
    order.push('health');
    expect(health.statusCode).toBe(200);
    expect((await roomy.inject('/metrics.json')).json().queue.decoding).toBe(1);
    const res = await big;
    expect(res.json()).toMatchObject({ statusCode: 400, error: 'bad_image' }); // decoded and preprocessed: no ink on it
    expect(res.json().message).toMatch(/no visible ink/);
    expect(order).toEqual(['health', 'image']); // on the event loop, the decode would have held the health check back
    await roomy.close();
  });
});

/** Resolves with the bytes the server sent once it closes the socket. */
const closed = (socket: Socket): Promise<string> => new Promise((resolve) => {
  let received = '';
  socket.on('data', (d: Buffer) => { received += d.toString(); });
  socket.on('error', () => undefined);
  socket.on('close', () => resolve(received));
});

async function listening(options: Partial<Parameters<typeof buildServer>[0]>): Promise<{ app: FastifyInstance; port: number }> {
  const { app } = buildServer({ loaded, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : 0 };
}

describe('slow clients', () => {
  it('cuts 20 bodies trickled at a byte every 100 ms at the request deadline, and stays answerable', async () => {
    const { app, port } = await listening({ requestTimeoutMs: 800, headersTimeoutMs: 400 });
    const started = performance.now();
    const sockets = Array.from({ length: 20 }, () => connect(port, '127.0.0.1'));
    const ends = sockets.map(closed);
    const timers = sockets.map((socket) => {
      socket.write(`POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n`);
      return setInterval(() => socket.write('1'), 100); // 5000 bytes would take 500 s
    });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const received = await Promise.all(ends);
    const elapsed = performance.now() - started;
    timers.forEach(clearInterval);
    for (const text of received) expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(5000); // deadline 800 ms, checked every 100 ms; Node alone checks every 30 s
    await app.close();
  });

  it('cuts headers trickled slowly at the header deadline, before the request deadline', async () => {
    const { app, port } = await listening({ requestTimeoutMs: 6000, headersTimeoutMs: 400 });
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    const end = closed(socket);
    socket.write('GET /healthz HTTP/1.1\r\n');
    const timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
    expect(await end).toMatch(/^HTTP\/1\.1 408/);
    clearInterval(timer);
    expect(performance.now() - started).toBeLessThan(4000);
    await app.close();
  });

  it('closes connections beyond maxConnections at once, keeping the others', async () => {
    const { app, port } = await listening({ maxConnections: 2 });
    const kept = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
    await Promise.all(kept.map((s) => new Promise((r) => s.once('connect', r))));
    let keptClosed = 0;
    for (const s of kept) s.on('close', () => { keptClosed++; });
    await new Promise((r) => setTimeout(r, 50)); // the server has accepted both
    const extra = connect(port, '127.0.0.1');
    expect(await closed(extra)).toBe(''); // closed without a byte
    expect(keptClosed).toBe(0);
    kept[0].write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await closed(kept[0])).toMatch(/^HTTP\/1\.1 200[\s\S]*"status":"ok"/);
    kept[1].destroy();
    await app.close();
  });
});
