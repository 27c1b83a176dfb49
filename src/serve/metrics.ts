// Request counters and latency percentiles for GET /metrics, as JSON or Prometheus text.
// Latencies are kept in a fixed ring of the most recent requests, so memory stays flat.

/** Counts, errors by status, latency percentiles (ms) over the recent window. */
export interface MetricsSnapshot {
  uptimeSeconds: number;
  requests: number;
  predictions: number;
  errors: number;
  errorsByStatus: Record<string, number>;
  latencyMs: { count: number; p50: number; p90: number; p99: number; max: number; mean: number };
  queue: { depth: number; limit: number; batches: number; meanBatch: number };
  /** Where forward passes run, how many inference worker threads, and how often they were replaced after dying (in all, and per worker). */
  inference: { where: 'worker' | 'main'; workers: number; workerRestarts: number; restartsByWorker: number[] };
  memory: { rssMB: number; heapUsedMB: number };
}

export class ServerMetrics {
  private readonly started = performance.now();
  private readonly window: Float64Array;
  private filled = 0;
  private next = 0;
  requests = 0;
  predictions = 0;
  errors = 0;
  readonly errorsByStatus: Record<string, number> = {};

  constructor(windowSize = 10_000) {
    this.window = new Float64Array(windowSize);
  }

  /** Records one finished request on an API route. */
  record(status: number, milliseconds: number, predictions: number): void {
    this.requests++;
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

  snapshot(queue: { depth: number; maxQueued: number; batches: number; images: number }, pool: { size: number; restarts: number; restartsByWorker: number[] } | null = null): MetricsSnapshot {
    const sorted = Float64Array.from(this.window.subarray(0, this.filled)).sort();
    const at = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    const mean = sorted.length === 0 ? 0 : sorted.reduce((p, v) => p + v, 0) / sorted.length;
    const round = (v: number): number => Math.round(v * 1000) / 1000;
    const memory = process.memoryUsage();
    return {
      uptimeSeconds: round((performance.now() - this.started) / 1000),
      requests: this.requests,
      predictions: this.predictions,
      errors: this.errors,
      errorsByStatus: { ...this.errorsByStatus },
      latencyMs: { count: sorted.length, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(at(1)), mean: round(mean) },
      queue: { depth: queue.depth, limit: queue.maxQueued, batches: queue.batches, meanBatch: round(queue.batches ? queue.images / queue.batches : 0) },
      inference: { where: pool ? 'worker' : 'main', workers: pool?.size ?? 0, workerRestarts: pool?.restarts ?? 0, restartsByWorker: pool?.restartsByWorker ?? [] },
      memory: { rssMB: round(memory.rss / 2 ** 20), heapUsedMB: round(memory.heapUsed / 2 ** 20) },
    };
  }
}

/** The snapshot in the Prometheus text exposition format. */
export function prometheusText(s: MetricsSnapshot): string {
  const lines = [
    '# TYPE zerograd_requests_total counter', `zerograd_requests_total ${s.requests}`,
    '# TYPE zerograd_predictions_total counter', `zerograd_predictions_total ${s.predictions}`,
    '# TYPE zerograd_errors_total counter', `zerograd_errors_total ${s.errors}`,
    ...Object.entries(s.errorsByStatus).map(([status, n]) => `zerograd_errors_total{status="${status}"} ${n}`),
    '# TYPE zerograd_latency_ms summary',
    ...(['p50', 'p90', 'p99'] as const).map((q) => `zerograd_latency_ms{quantile="0.${q.slice(1)}"} ${s.latencyMs[q]}`),
    `zerograd_latency_ms_count ${s.latencyMs.count}`,
    '# TYPE zerograd_queue_depth gauge', `zerograd_queue_depth ${s.queue.depth}`,
    '# TYPE zerograd_inference_workers gauge', `zerograd_inference_workers ${s.inference.workers}`,
    '# TYPE zerograd_worker_restarts_total counter', `zerograd_worker_restarts_total ${s.inference.workerRestarts}`,
    ...s.inference.restartsByWorker.map((n, i) => `zerograd_worker_restarts_total{worker="${i}"} ${n}`),
    '# TYPE zerograd_rss_megabytes gauge', `zerograd_rss_megabytes ${s.memory.rssMB}`,
  ];
  return `${lines.join('\n')}\n`;
}
