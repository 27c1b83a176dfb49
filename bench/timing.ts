// Timing helpers shared by benchmarks: warm up, then the best and median of several timed samples.

export interface Timing {
  /** Seconds per call, best sample. */
  best: number;
  /** Seconds per call, median sample. */
  median: number;
}

/** Times `fn` over `samples` samples of about `sampleSeconds` each, after a warm-up. */
export function time(fn: () => void, sampleSeconds = 0.08, samples = 5): Timing {
  for (let i = 0; i < 3; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed >= sampleSeconds / 4 || reps >= 1 << 20) {
      reps = Math.max(1, Math.round(reps * sampleSeconds / Math.max(elapsed, 1e-6)));
      break;
    }
    reps *= 4;
  }
  const perCall: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    perCall.push((performance.now() - t0) / 1000 / reps);
  }
  perCall.sort((a, b) => a - b);
  return { best: perCall[0], median: perCall[Math.floor(perCall.length / 2)] };
}

/** Replaces (or appends) the section between `<!-- name:start -->` and `<!-- name:end -->` in a markdown file's text. */
export function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) return text.slice(0, i) + block + text.slice(j + end.length);
  return `${text.trimEnd()}${text.trim() ? '\n\n' : ''}${block}\n`;
}
