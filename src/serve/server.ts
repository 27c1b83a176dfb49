// The HTTP API (Fastify): POST /v1/predict and /v1/explain, GET /healthz, /metrics, /v1/model, the
// model files for the in-browser engine, and the web page at /. Client mistakes become 4xx JSON
// errors `{ statusCode, error, message }`; inference runs in micro-batches through a bounded queue, on
// this thread or (option `worker`) in a pool of inference worker threads so parsing and compute overlap.
// Uploads are sized from their header and decoded off the event loop; deadlines and a connection cap bound slow clients.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { saliency, SALIENCY_METHODS, type SaliencyMethod } from '../explain/saliency.js';
import type { LoadedModel } from '../io/model-folder.js';
import { DigitClassifier, type Prediction } from './classifier.js';
import { ImageDecoder } from './decode.js';
import { jsonPixels, RequestError, SERVE_MAX_IMAGE_PIXELS, type PixelBatch } from './inputs.js';
import { prometheusText, ServerMetrics } from './metrics.js';
import { InferenceQueue, type QueueOptions } from './queue.js';
import { ISOLATION_HEADERS, type StaticFile } from './static.js';
import { InferenceWorkerPool, type InferenceWorkerPoolOptions } from './worker-pool.js';
import { REPLAY_FILE, replaySetFor } from './replay.js';

export interface ServerOptions extends QueueOptions {
  loaded: LoadedModel;
  /** Raw model files offered to the page at /model/config.json and /model/model.safetensors. */
  modelFiles?: { config: Uint8Array; weights: Uint8Array };
  /** The built page (see loadStaticDir); without it `/` explains how to build it. */
  page?: Map<string, StaticFile> | null;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Time allowed to receive a whole request, headers and body, ms (default 10000); later: 408 and the connection closed. */
  requestTimeoutMs?: number;
  /** Time allowed to receive a request's headers, ms (default 5000, at most requestTimeoutMs). */
  headersTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open, ms (default 5000). */
  keepAliveTimeoutMs?: number;
  /** Most open connections; more are closed at once (default 256). */
  maxConnections?: number;
  /** Largest uploaded image, in pixels, read from its header before decoding (default SERVE_MAX_IMAGE_PIXELS, 2048x2048). */
  maxImagePixels?: number;
  /** Fastify's pino logger (default off). */
  logger?: boolean;
  /**
   * Run forward passes in inference worker threads (true: one; or the pool's options, e.g. `{ workers: 2 }`)
   * instead of on the event loop (default). The server starts them, waits for them in `ready()`/`listen()`,
   * and stops them in `close()`. Unless `maxInFlight` is given, each worker holds up to 2 batches. Uploads are
   * decoded in these threads; without them, in one thread started for decoding only.
   */
  worker?: boolean | InferenceWorkerPoolOptions;
}

const BODY_TYPES = ['application/json', 'image/png', 'image/jpeg', 'application/octet-stream'];
/** Fastify's own client errors, renamed and explained. */
const FASTIFY_ERRORS: Record<string, [string, (limit: number) => string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['body_too_large', (limit) => `the request body is larger than the ${limit}-byte limit`],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['empty_body', () => 'the request body is empty; send { "pixels": [784 numbers 0-1] }'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['bad_json', () => 'the request body is not valid JSON'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_content_type', () => `unsupported Content-Type; use ${BODY_TYPES.join(', ')}`],
};
const API_ROUTES = new Set(['/v1/predict', '/v1/explain']);

/** The server, not yet listening; `app.close()` drains the queue first. */
export function buildServer(options: ServerOptions): { app: FastifyInstance; classifier: DigitClassifier; queue: InferenceQueue; metrics: ServerMetrics; pool: InferenceWorkerPool | null } {
  const { loaded } = options;
  const classifier = new DigitClassifier(loaded.model, loaded.config);
  const pool = options.worker ? new InferenceWorkerPool(loaded, { timeoutMs: options.timeoutMs, ...(options.worker === true ? {} : options.worker) }) : null;
  const decodePool = pool ?? new InferenceWorkerPool(null, { timeoutMs: options.timeoutMs });
  const decoder = new ImageDecoder(decodePool, { maxPixels: options.maxImagePixels ?? SERVE_MAX_IMAGE_PIXELS, timeoutMs: options.timeoutMs });
  const infer = pool ? (pixels: Float32Array, count: number) => pool.infer(pixels, count) : (pixels: Float32Array) => classifier.probabilities(pixels);
  const maxInFlight = options.maxInFlight ?? (pool ? InferenceWorkerPool.batchesPerWorker * pool.size : undefined);
  const queue = new InferenceQueue(infer, classifier.features, { ...options, maxInFlight });
  const metrics = new ServerMetrics();
  classifier.probabilities(new Float32Array(classifier.features)); // warm-up (explain and in-process inference): the first request should not pay for compilation
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const headersTimeout = options.headersTimeoutMs ?? Math.min(5000, requestTimeout);
  if (headersTimeout > requestTimeout) throw new RangeError(`buildServer: headersTimeoutMs (${headersTimeout}) must not exceed requestTimeoutMs (${requestTimeout})`);
  // Node checks its deadlines every connectionsCheckingInterval ms (30 s by default), so a deadline is met to within a quarter of it here.
  const http = { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))) };
  const app = Fastify({
    logger: options.logger ?? false, bodyLimit, requestTimeout, keepAliveTimeout: options.keepAliveTimeoutMs ?? 5000, http,
    return503OnClosing: false, // the onRequest hook answers 503 shutting_down in our JSON shape
    onProtoPoisoning: 'remove', onConstructorPoisoning: 'remove', // a "__proto__" key is dropped like any unknown key
  });
  app.server.maxConnections = options.maxConnections ?? 256;
  const predictionCounts = new WeakMap<FastifyRequest, number>();
  const methodsByPath = new Map<string, string[]>();
  app.addHook('onRoute', (route) => { methodsByPath.set(route.url, [...(methodsByPath.get(route.url) ?? []), ...[route.method].flat()]); });
  let closing = false;

  app.addContentTypeParser(['image/png', 'image/jpeg', 'application/octet-stream'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Per-request hooks take Fastify's `done` callback rather than returning a promise: one less promise per request.
  app.addHook('onRequest', (request, _reply, done) => {
    if (closing) return done(new RequestError(503, 'shutting_down', 'the server is shutting down'));
    if (request.method !== 'POST' || !API_ROUTES.has(request.routeOptions.url ?? '')) return done();
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!type) return done(new RequestError(415, 'missing_content_type', `set Content-Type to one of ${BODY_TYPES.join(', ')}`));
    if (!BODY_TYPES.includes(type)) return done(new RequestError(415, 'unsupported_content_type', `Content-Type '${type}' is not accepted; use ${BODY_TYPES.join(', ')}`));
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(ISOLATION_HEADERS);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (API_ROUTES.has(request.routeOptions.url ?? '')) metrics.record(reply.statusCode, reply.elapsedTime, predictionCounts.get(request) ?? 0);
    done();
  });
  app.addHook('preClose', async () => { closing = true; await queue.drain(); });
  app.addHook('onReady', async () => { await decodePool.ready; });
  app.addHook('onClose', async () => { await decodePool.close(); });

  app.setErrorHandler((error: FastifyError | RequestError, request, reply) => {
    const status = error instanceof RequestError ? error.status : error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    const known = error instanceof RequestError ? undefined : FASTIFY_ERRORS[error.code];
    const code = error instanceof RequestError ? error.code : known ? known[0] : status === 500 ? 'internal' : (error.code ?? 'bad_request').replace(/^FST_ERR_/, '').toLowerCase();
    if (status >= 500 && !(error instanceof RequestError)) request.log.error(error);
    const message = known ? known[1](bodyLimit) : status === 500 && !(error instanceof RequestError) ? 'internal error while handling the request' : error.message;
    if (status === 503) reply.header('retry-after', '1');
    void reply.code(status).send({ statusCode: status, error: code, message });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const file = options.page?.get(path.endsWith('/') ? `${path}index.html` : path);
    if (file && (request.method === 'GET' || request.method === 'HEAD')) return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
    if (path === '/' && request.method === 'GET') {
      return reply.type('text/plain; charset=utf-8').send('zerograd API is running, but the web page was not built: run `npm run build:web` (or `npx vite build web`).\n');
    }
    const allowed = methodsByPath.get(path) ?? (file || path === '/' ? ['GET', 'HEAD'] : undefined);
    if (allowed) {
      const message = `${request.method} is not supported on ${path}; use ${allowed.join(' or ')}`;
      return reply.code(405).header('allow', allowed.join(', ')).send({ statusCode: 405, error: 'method_not_allowed', message });
    }
    return reply.code(404).send({ statusCode: 404, error: 'not_found', message: `no route ${request.method} ${path}; see GET /v1/model, POST /v1/predict, POST /v1/explain, GET /healthz, GET /metrics (or /metrics.json)` });
  });

  /** The pixels of a request body, by content type. */
  const pixelsOf = async (request: FastifyRequest, maxBatch: number): Promise<PixelBatch> => {
    const body = request.body;
    if (body instanceof Uint8Array) return { pixels: await decoder.pixels(body, classifier.features), count: 1, batch: false };
    if (body === undefined) throw new RequestError(400, 'empty_body', 'the request body is empty');
    return jsonPixels(body, classifier.features, maxBatch);
  };

  app.get('/healthz', async () => ({ status: 'ok', model: loaded.config.name ?? 'model', queueDepth: queue.depth }));
  const snapshot = () => metrics.snapshot(queue, pool, decoder.depth);
  app.get('/metrics', async (request: FastifyRequest, reply: FastifyReply) => {
    if ((request.headers.accept ?? '').includes('application/json')) return snapshot();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(prometheusText(snapshot()));
  });
  app.get('/metrics.json', async () => snapshot());
  app.get('/v1/model', async () => ({
    name: loaded.config.name ?? null, inputShape: loaded.config.inputShape, classNames: loaded.config.classNames,
    preprocessing: loaded.config.preprocessing, architecture: loaded.config.architecture, metrics: loaded.metrics,
  }));
  if (options.modelFiles) {
    const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const config = asBuffer(options.modelFiles.config);
    const weights = asBuffer(options.modelFiles.weights);
    app.get('/model/config.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(config));
    app.get('/model/model.safetensors', async (_request, reply) => reply.type('application/octet-stream').send(weights));
    let replay: Buffer | null | undefined; // built on first request: 20 training images per class of the model's data
    app.get(`/model/${REPLAY_FILE}`, async (_request, reply) => {
      if (replay === undefined) {
        const bytes = replaySetFor(loaded.config.data);
        replay = bytes ? asBuffer(bytes) : null;
      }
      if (!replay) return reply.code(404).send({ statusCode: 404, error: 'not_found', message: `no replay set for this model's data (${loaded.config.data ?? 'unknown'}); the page fine-tunes without rehearsal` });
      return reply.type('application/octet-stream').send(replay);
    });
  }

  app.post('/v1/predict', async (request) => {
    const input = await pixelsOf(request, queue.maxBatch);
    const output = await queue.submit(input.pixels, input.count);
    predictionCounts.set(request, input.count);
    const predictions = splitPredictions(classifier, output, input.count);
    return input.batch ? { predictions } : predictions[0];
  });

  app.post('/v1/explain', async (request: FastifyRequest<{ Querystring: { method?: string; steps?: string } }>) => {
    const method = (request.query.method ?? 'integrated-gradients') as SaliencyMethod;
    if (!SALIENCY_METHODS.includes(method)) throw new RequestError(400, 'bad_method', `method must be ${SALIENCY_METHODS.join(' or ')}, got '${method}'`);
    const steps = Number(request.query.steps ?? 16);
    if (!Number.isInteger(steps) || steps < 1 || steps > 64) throw new RequestError(400, 'bad_steps', `steps must be an integer from 1 to 64, got '${request.query.steps}'`);
    const input = await pixelsOf(request, 1);
    if (input.batch) throw new RequestError(400, 'batch_not_supported', '/v1/explain takes one image; send { "pixels": [784 numbers] }');
    const output = await queue.submit(input.pixels, 1);
    predictionCounts.set(request, 1);
    const [prediction] = splitPredictions(classifier, output, 1);
    const background = classifier.normalize(new Float32Array(1))[0];
    const scores = saliency(classifier.model, classifier.normalize(input.pixels), prediction.label, { method, steps, baseline: background });
    return { ...prediction, method, pixels: Array.from(input.pixels, round4), saliency: Array.from(scores, round4) };
  });

  return { app, classifier, queue, metrics, pool };
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

function splitPredictions(classifier: DigitClassifier, output: Float32Array, count: number): Prediction[] {
  const classes = output.length / count;
  const out: Prediction[] = [];
  for (let r = 0; r < count; r++) {
    const probabilities = Array.from(output.subarray(r * classes, (r + 1) * classes), (p) => Math.round(p * 1e6) / 1e6);
    let label = 0;
    for (let c = 1; c < classes; c++) if (probabilities[c] > probabilities[label]) label = c;
    out.push({ label, className: classifier.classNames[label], probabilities });
  }
  return out;
}
