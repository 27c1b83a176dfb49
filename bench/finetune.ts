// Writes the "Fine-tuning" section of BENCHMARKS.md from the files the commands left: the shipped
// backbone's pretrain.json, the experiment's results (zerograd experiment finetune) and the
// pseudo-label run's metrics.json. Usage: node --import tsx bench/finetune.ts [experimentDir] [pseudoDir...]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beatsScratch, formatTable, readResults, summarize } from '../src/finetune/experiment.js';
import type { Arm } from '../src/finetune/finetune-run.js';
import type { RoundRecord } from '../src/finetune/self-training.js';
import { replaceSection } from './timing.js';

const repo = resolve(import.meta.dirname, '..');
const BACKBONE = join(repo, 'models', 'backbone-vit-tiny-contrastive');

interface PseudoMetrics {
  strategy: string;
  labels_per_class: number;
  seed: number;
  seconds: number;
  test: { accuracy: number };
  test_accuracy_before_pseudo_labels: number;
  pseudo_labels: { rounds: RoundRecord[]; threshold: number; student: string } | null;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The section's markdown. */
export function finetuneSection(experimentDir: string, pseudoDirs: string[]): string {
  const lines: string[] = ['## Fine-tuning', ''];
  const pretrainPath = join(BACKBONE, 'pretrain.json');
  if (existsSync(pretrainPath)) {
    const p = JSON.parse(readFileSync(pretrainPath, 'utf8')) as { settings: Record<string, unknown>; parameters: number; train_seconds_total: number; samples_per_second: number; machine: { cpus: number; loadavg_at_end: number[] } };
    lines.push(`Pretraining (shipped \`models/backbone-vit-tiny-contrastive\`, see its README.md): \`zerograd pretrain ${Object.entries(p.settings).filter(([k]) => k !== 'checkpointEvery').map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(v)}`).join(' ')}\` — ${p.parameters.toLocaleString('en-US')} parameters, ${(p.train_seconds_total / 60).toFixed(1)} min of training at ${Math.round(p.samples_per_second)} images/s on ${p.machine.cpus} shared cores (load average at the end ${p.machine.loadavg_at_end[0].toFixed(1)}).`, '');
  }
  const results = readResults(experimentDir);
  if (results.length > 0) {
    const arms: Arm[] = ['scratch', 'full', 'head', 'lora'];
    const ks = [...new Set(results.map((r) => r.k))].sort((a, b) => a - b);
    const rows = summarize(results, arms, ks);
    const seeds = [...new Set(results.map((r) => r.seed))].sort();
    lines.push(`Few-label protocol: \`zerograd experiment finetune\` (K labels per class, seeded and stratified; seeds ${seeds.join(', ')}; test accuracy on the full 10,000-image test split, mean ± sample std; no pseudo-labels):`, '');
    lines.push(formatTable(rows, arms, ks).trimEnd(), '');
    const beats = beatsScratch(rows);
    const losses = Object.entries(beats).filter(([, ok]) => !ok).map(([cell]) => cell);
    const loads = results.map((r) => r.loadavg);
    lines.push(`Fine-tuned beats from-scratch: ${losses.length === 0 ? 'in every cell' : `not at ${losses.join(', ')}`}. ${results.length} cells, ${(results.reduce((p, r) => p + r.seconds, 0) / 60).toFixed(0)} min in all, load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}.`, '');
  }
  const finals: number[] = [];
  for (const dir of pseudoDirs) {
    const path = join(dir, 'metrics.json');
    if (!existsSync(path)) continue;
    const m = JSON.parse(readFileSync(path, 'utf8')) as PseudoMetrics;
    if (!m.pseudo_labels) continue;
    lines.push(`Self-training (\`zerograd finetune --strategy ${m.strategy} --labels-per-class ${m.labels_per_class} --seed ${m.seed} --pseudo-label --pseudo-rounds ${m.pseudo_labels.rounds.length} --student ${m.pseudo_labels.student}\`, threshold ${m.pseudo_labels.threshold}; every round trains a fresh student on the ${10 * m.labels_per_class} true labels plus the pseudo-labels): ${pct(m.test_accuracy_before_pseudo_labels)} after fine-tuning on ${10 * m.labels_per_class} labels, **${pct(m.test.accuracy)}** after ${m.pseudo_labels.rounds.length} rounds (${(m.seconds / 60).toFixed(0)} min).`, '');
    finals.push(m.test.accuracy);
    lines.push('| round | pseudo-labels used | confident | correct (vs. true labels) | student test accuracy |', '| ---: | ---: | ---: | ---: | ---: |');
    for (const r of m.pseudo_labels.rounds) {
      lines.push(`| ${r.round} | ${r.used.toLocaleString('en-US')} | ${r.confident.toLocaleString('en-US')} | ${pct(r.accuracy)} | ${r.studentTestAccuracy === undefined ? '—' : pct(r.studentTestAccuracy)} |`);
    }
    lines.push('');
  }
  if (finals.length > 0) {
    const mean = finals.reduce((p, a) => p + a, 0) / finals.length;
    lines.push(`Target (100 labels, ≥ 98.5%, goal 99.0%): ${finals.map(pct).join(' and ')} (mean ${pct(mean)}) — ${mean >= 0.985 ? 'met' : `missed by ${(100 * (0.985 - mean)).toFixed(2)} points`}. The test labels were used for these reported numbers only; the unlabeled images' true labels only for the "correct" column.`, '');
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [experimentDir = join(repo, 'runs', 'experiment-finetune'), ...pseudoDirs] = process.argv.slice(2);
  const path = join(repo, 'BENCHMARKS.md');
  const section = finetuneSection(resolve(experimentDir), pseudoDirs.map((d) => resolve(d)));
  writeFileSync(path, replaceSection(existsSync(path) ? readFileSync(path, 'utf8') : '', 'finetune', section));
  console.log(section);
}
