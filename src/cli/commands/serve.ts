// `zerograd serve --model DIR --port P`: the HTTP API and the draw-a-digit page, forward passes in a pool
// of inference worker threads (or `--inference main`). Stops gracefully on SIGTERM/SIGINT: no new requests,
// queued ones finish, the workers stop, then the process exits 0.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { SERVE_MAX_IMAGE_PIXELS } from '../../serve/inputs.js';
import { buildServer } from '../../serve/server.js';
import { findWebDist, loadStaticDir } from '../../serve/static.js';
import { loadClassifier, positiveIntegerFlag, readModelFiles } from '../../serve/load.js';
import { defaultWorkerCount } from '../../serve/worker-pool.js';

interface ServeFlags {
  model: string;
  port: string;
  host: string;
  threads?: string;
  workers?: string;
  inference: string;
  maxQueue: string;
  maxBatch: string;
  bodyLimit: string;
  timeout: string;
  headerTimeout?: string;
  maxConnections: string;
  maxImagePixels: string;
  web?: string;
  log?: boolean;
}

/** Registers the `serve` sub-command. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve a model over HTTP: POST /v1/predict, POST /v1/explain, GET /healthz, GET /metrics, and the draw-a-digit page at /.')
    .requiredOption('--model <dir>', 'a saved model folder (e.g. models/mnist-cnn)')
    .option('--port <n>', 'TCP port (0 = any free port)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--inference <where>', "where forward passes run: 'worker' (inference worker threads, so parsing and compute overlap) or 'main' (the event loop)", 'worker')
    .option('--workers <n>', 'inference worker threads, each with its own engine and copy of the model (default: all cores but one, at least 1)')
    .option('--threads <n>', 'threads of the WebAssembly engine in each inference worker (default 1), or with --inference main on the event loop (default: all cores)')
    .option('--max-queue <n>', 'images waiting for inference before requests get 503', '1024')
    .option('--max-batch <n>', 'images per forward pass (and per JSON batch request)', '64')
    .option('--body-limit <bytes>', 'largest request body', String(1024 * 1024))
    .option('--timeout <ms>', 'time to receive a whole request (headers and body; then 408 and the connection is closed), and the longest wait in the queue', '10000')
    .option('--header-timeout <ms>', "time to receive a request's headers, at most --timeout (default 5000, or --timeout if less)")
    .option('--max-connections <n>', 'open connections at most; more are closed at once', '256')
    .option('--max-image-pixels <n>', 'largest uploaded image in pixels, read from its header before decoding (the CLI reads up to 16777216)', String(SERVE_MAX_IMAGE_PIXELS))
    .option('--web <dir>', 'the built page to serve at / (default: web/dist of this checkout)')
    .option('--log', 'log every request (JSON lines)')
    .action((flags: ServeFlags) => runServe(flags));
}

/** The work of `zerograd serve`; resolves once the server stopped after a signal. */
export async function runServe(flags: ServeFlags): Promise<void> {
  const port = positiveIntegerFlag(flags.port, '--port', 0, 65535) as number;
  const maxQueued = positiveIntegerFlag(flags.maxQueue, '--max-queue', 1, 1_000_000) as number;
  const maxBatch = positiveIntegerFlag(flags.maxBatch, '--max-batch', 1, 4096) as number;
  const bodyLimit = positiveIntegerFlag(flags.bodyLimit, '--body-limit', 1024, 1024 ** 3) as number;
  const timeoutMs = positiveIntegerFlag(flags.timeout, '--timeout', 10, 3_600_000) as number;
  const headersTimeoutMs = positiveIntegerFlag(flags.headerTimeout, '--header-timeout', 10, 3_600_000) ?? Math.min(5000, timeoutMs);
  if (headersTimeoutMs > timeoutMs) throw new UsageError(`--header-timeout (${headersTimeoutMs} ms) must not exceed --timeout (${timeoutMs} ms)`);
  const maxConnections = positiveIntegerFlag(flags.maxConnections, '--max-connections', 1, 1_000_000) as number;
  const maxImagePixels = positiveIntegerFlag(flags.maxImagePixels, '--max-image-pixels', 1, 2 ** 31) as number;
  const webDir = flags.web !== undefined ? resolve(flags.web) : findWebDist();
  let page = null;
  if (webDir !== null) {
    try {
      page = loadStaticDir(webDir);
    } catch (err) {
      throw new UsageError(`--web ${webDir}: cannot read the page (${(err as Error).message})`);
    }
  }
  if (flags.inference !== 'worker' && flags.inference !== 'main') throw new UsageError(`--inference must be 'worker' or 'main', got '${flags.inference}'`);
  const threads = positiveIntegerFlag(flags.threads, '--threads', 1, 64);
  const workers = positiveIntegerFlag(flags.workers, '--workers', 1, 64);
  const inWorker = flags.inference === 'worker';
  const workerCount = workers ?? defaultWorkerCount();
  if (!inWorker && workers !== undefined) throw new UsageError('--workers needs --inference worker (with --inference main forward passes run on the event loop)');
  // With workers, this thread only parses requests (and runs /v1/explain): one engine thread here; each worker has its own.
  const { loaded } = await loadClassifier(flags.model, { threads: inWorker ? 1 : threads });
  const { app } = buildServer({
    loaded, modelFiles: readModelFiles(flags.model), page, maxQueued, maxBatch, bodyLimit, timeoutMs, requestTimeoutMs: timeoutMs, headersTimeoutMs, maxConnections, maxImagePixels, logger: flags.log ?? false,
    worker: inWorker ? { workers: workerCount, threads: threads ?? 1 } : false,
  });
  let address: string;
  try {
    await app.ready(); // loads the model in every inference worker
  } catch (err) {
    await app.close().catch(() => undefined);
    throw new UsageError(`--model ${flags.model}: ${(err as Error).message}`);
  }
  try {
    address = await app.listen({ port, host: flags.host });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw new UsageError(`cannot listen on ${flags.host}:${port} (${(err as Error).message})`);
  }
  const where = inWorker ? `${workerCount} inference worker${workerCount === 1 ? '' : 's'}` : 'inference on the main thread';
  console.log(`serving ${loaded.config.name ?? flags.model} on ${address}  (${where}; page ${page ? 'at /' : 'not built: npm run build:web'}; API: POST /v1/predict, /v1/explain; GET /healthz, /metrics)`);
  await new Promise<void>((done) => {
    const stop = (signal: string): void => {
      console.log(`${signal}: finishing queued requests, then stopping`);
      app.close().then(() => { console.log('stopped'); done(); }, (err: unknown) => { console.error(`zerograd: error while stopping: ${String(err)}`); done(); });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
