// Request counters, a request-duration histogram and latency percentiles for GET /metrics, as Prometheus text
// (the default) or JSON. Percentiles are over a fixed ring of the most recent requests, so memory stays flat.

/** Upper bounds (seconds) of the request-duration histogram's buckets; +Inf is implied. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counts, errors by status, latency percentiles (ms) over the recent window, a cumulative duration histogram. */
export interface MetricsSnapshot {
  uptimeSeconds: number;
  requests: number;
  predictions: number;
  errors: number;
  errorsByStatus: Record<string, number>;
  /** Every API request by HTTP status, successes included. */
  requestsByStatus: Record<string, number>;
  /** Successful API requests over the recent window. */
  latencyMs: { count: number; p50: number; p90: number; p99: number; max: number; mean: number };
  /** Every API request since start: cumulative counts per upper bound (`le`, seconds; the last is +Inf), sum and count. */
  durationSeconds: { buckets: { le: number; count: number }[]; sum: number; count: number };
  queue: { depth: number; limit: number; batches: number; meanBatch: number; images: number; decoding: number };
  /** Where forward passes run, how many inference worker threads, and how often they were replaced after dying (in all, and per worker). */
  inference: { where: 'worker' | 'main'; workers: number; workerRestarts: number; restartsByWorker: number[] };
  memory: { rssMB: number; heapUsedMB: number };
}

export class ServerMetrics {
  private readonly started = performance.now();
  private readonly window: Float64Array;
  private filled = 0;
  private next = 0;
  private readonly bucketCounts = new Float64Array(DURATION_BUCKETS.length + 1); // per bucket, not cumulative; the last is +Inf
  private durationSum = 0;
  requests = 0;
  predictions = 0;
  errors = 0;
  readonly errorsByStatus: Record<string, number> = {};
  readonly requestsByStatus: Record<string, number> = {};

  constructor(windowSize = 10_000) {
    this.window = new Float64Array(windowSize);
  }

  /** Records one finished request on an API route. */
  record(status: number, milliseconds: number, predictions: number): void {
    this.requests++;
    this.requestsByStatus[status] = (this.requestsByStatus[status] ?? 0) + 1;
    const seconds = milliseconds / 1000;
    let b = 0;
    while (b < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[b]) b++;
    this.bucketCounts[b]++;
    this.durationSum += seconds;
    if (status >= 400) {
      this.errors++;
      this.errorsByStatus[status] = (this.errorsByStatus[status] ?? 0) + 1;
      return;
    }
    this.predictions += predictions;
    this.window[this.next] = milliseconds;
    this.next = (this.next + 1) % this.window.length;
    this.filled = Math.min(this.filled + 1, this.window.length);
  }

  snapshot(queue: { depth: number; maxQueued: number; batches: number; images: number }, pool: { size: number; restarts: number; restartsByWorker: number[] } | null = null, decoding = 0): MetricsSnapshot {
    const sorted = Float64Array.from(this.window.subarray(0, this.filled)).sort();
    const at = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    const mean = sorted.length === 0 ? 0 : sorted.reduce((p, v) => p + v, 0) / sorted.length;
    const round = (v: number): number => Math.round(v * 1000) / 1000;
    const memory = process.memoryUsage();
    let cumulative = 0;
    const buckets = [...DURATION_BUCKETS, Infinity].map((le, i) => ({ le, count: (cumulative += this.bucketCounts[i]) }));
    return {
      uptimeSeconds: round((performance.now() - this.started) / 1000),
      requests: this.requests,
      predictions: this.predictions,
      errors: this.errors,
      errorsByStatus: { ...this.errorsByStatus },
      requestsByStatus: { ...this.requestsByStatus },
      latencyMs: { count: sorted.length, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(at(1)), mean: round(mean) },
      durationSeconds: { buckets, sum: Math.round(this.durationSum * 1e6) / 1e6, count: this.requests },
      queue: { depth: queue.depth, limit: queue.maxQueued, batches: queue.batches, meanBatch: round(queue.batches ? queue.images / queue.batches : 0), images: queue.images, decoding },
      inference: { where: pool ? 'worker' : 'main', workers: pool?.size ?? 0, workerRestarts: pool?.restarts ?? 0, restartsByWorker: pool?.restartsByWorker ?? [] },
      memory: { rssMB: round(memory.rss / 2 ** 20), heapUsedMB: round(memory.heapUsed / 2 ** 20) },
    };
  }
}

/** The snapshot in the Prometheus text exposition format (0.0.4): HELP and TYPE for every family, base units. */
export function prometheusText(s: MetricsSnapshot): string {
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string, samples: string[]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };
  const duration = 'zerograd_request_duration_seconds';
  family('zerograd_requests_total', 'counter', 'API requests answered (POST /v1/predict, /v1/explain), by HTTP status.',
    Object.entries(s.requestsByStatus).map(([status, n]) => `zerograd_requests_total{status="${status}"} ${n}`));
  family('zerograd_predictions_total', 'counter', 'Images classified by successful API requests.', [`zerograd_predictions_total ${s.predictions}`]);
  family(duration, 'histogram', 'Time from receiving an API request to sending its answer, errors included.', [
    ...s.durationSeconds.buckets.map((b) => `${duration}_bucket{le="${b.le === Infinity ? '+Inf' : b.le}"} ${b.count}`),
    `${duration}_sum ${s.durationSeconds.sum}`, `${duration}_count ${s.durationSeconds.count}`,
  ]);
  family('zerograd_queue_depth', 'gauge', 'Images waiting in the inference queue.', [`zerograd_queue_depth ${s.queue.depth}`]);
  family('zerograd_queue_limit', 'gauge', 'Images the inference queue holds before requests get 503.', [`zerograd_queue_limit ${s.queue.limit}`]);
  family('zerograd_batches_total', 'counter', 'Forward passes (micro-batches) run.', [`zerograd_batches_total ${s.queue.batches}`]);
  family('zerograd_batched_images_total', 'counter', 'Images in those forward passes.', [`zerograd_batched_images_total ${s.queue.images}`]);
  family('zerograd_decoding_images', 'gauge', 'Uploaded images being decoded or waiting for a decoding thread.', [`zerograd_decoding_images ${s.queue.decoding}`]);
  family('zerograd_inference_workers', 'gauge', 'Inference worker threads (0: forward passes on the event loop).', [`zerograd_inference_workers ${s.inference.workers}`]);
  family('zerograd_worker_restarts_total', 'counter', 'Times an inference worker thread died or got stuck and was replaced, by worker.',
    s.inference.restartsByWorker.map((n, i) => `zerograd_worker_restarts_total{worker="${i}"} ${n}`));
  family('zerograd_uptime_seconds', 'gauge', 'Seconds since the server was built.', [`zerograd_uptime_seconds ${s.uptimeSeconds}`]);
  family('process_resident_memory_bytes', 'gauge', 'Resident memory of the server process.', [`process_resident_memory_bytes ${Math.round(s.memory.rssMB * 2 ** 20)}`]);
  family('zerograd_heap_used_bytes', 'gauge', 'V8 heap in use on the main thread.', [`zerograd_heap_used_bytes ${Math.round(s.memory.heapUsedMB * 2 ** 20)}`]);
  return `${lines.join('\n')}\n`;
}
