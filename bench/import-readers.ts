// Memory and time of the foreign-file readers on big files: a torch.save state dict (stored and deflated)
// and a .npy array of about --mb MiB, each read in a fresh process under /usr/bin/time -v; and `zerograd
// infer` on 10,000 MNIST-shaped examples. Writes bench/results/reliability/import.md.
// Run: npm run bench -- import-readers [--mb 256]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, encodeNpy } from '../src/io/npy.js';
import { readTorchStateDict } from '../src/io/torch-checkpoint.js';
import { rawBytes, torchArchive, type FixtureTensor } from '../test/io/torch-fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Row { name: string; fileMb: number; weightsMb: number; rssMb: number; seconds: number; outcome: string }

/** Runs `args` (after node --import tsx) under /usr/bin/time -v: peak RSS, wall time, last stdout line. */
function measure(name: string, file: string, weightsMb: number, args: string[]): Row {
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', ...args], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  const seconds = (performance.now() - started) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
  const lines = (run.stdout.trim() || run.stderr.split('\n').filter((l) => l.startsWith('zerograd:')).join(' ')).split('\n');
  return { name, weightsMb, fileMb: file ? statSync(file).size / 2 ** 20 : 0, rssMb: rss ? Number(rss[1]) / 1024 : NaN, seconds, outcome: `exit ${run.status}: ${lines.at(-1)?.replace(/\/tmp\/[^ ]+\//g, '')}` };
}

/** In the child: read one file and say what came out. */
function child(kind: string, path: string): void {
  const started = performance.now();
  if (kind === 'torch') {
    const { tensors } = readTorchStateDict(path);
    let values = 0;
    for (const t of tensors.values()) values += t.values.length;
    console.log(`${tensors.size} tensors, ${values} values in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  } else if (kind === 'npy') {
    const array = readNpy(path);
    console.log(`shape (${array.shape.join(', ')}) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  } else {
    console.log('baseline: node + tsx, no file read');
  }
}

/** `npm run bench -- import-readers [--mb N]`. */
export async function main(args: string[]): Promise<void> {
  if (args[0] === '--child') { child(args[1], args[2]); return; }
  const mb = Number(args[args.indexOf('--mb') + 1] ?? 256) || 256;
  const dir = mkdtempSync(join(tmpdir(), 'zerograd-import-bench-'));
  const self = [join(root, 'bench', 'run.ts'), 'import-readers', '--child'];
  try {
    const perTensor = 2 ** 20; // 4 MiB of float32 each
    const count = Math.max(1, Math.round(mb / 4));
    const tensors: FixtureTensor[] = Array.from({ length: count }, (_, i) => ({ name: `layer${i}.weight`, storage: String(i), type: 'Float', numel: perTensor, shape: [1024, 1024] }));
    const storages: Record<string, Uint8Array> = {};
    for (let i = 0; i < count; i++) storages[i] = rawBytes(Float32Array.from({ length: perTensor }, (_, k) => Math.sin(i + k)));
    const stored = join(dir, 'stored.pth');
    writeFileSync(stored, torchArchive(tensors, storages));
    const deflatedCount = Math.max(1, Math.round(count / 4));
    const deflated = join(dir, 'deflated.pth');
    writeFileSync(deflated, torchArchive(tensors.slice(0, deflatedCount), Object.fromEntries(Object.entries(storages).slice(0, deflatedCount)), { deflate: true }));
    const npy = join(dir, 'big.npy');
    writeFileSync(npy, encodeNpy(Float32Array.from({ length: count * perTensor }, (_, k) => k % 977), [count * 1024, 1024]));
    const inputs = join(dir, 'x.npy');
    writeFileSync(inputs, encodeNpy(Float32Array.from({ length: 10_000 * 784 }, (_, k) => (k % 255) / 255), [10_000, 1, 28, 28]));
    const rows = [
      measure('baseline (node + tsx, nothing read)', '', 0, [...self, 'none', '']),
      measure(`torch.save state dict, stored, ${count} x 4 MiB float32`, stored, count * 4, [...self, 'torch', stored]),
      measure(`torch.save state dict, deflated, ${deflatedCount} x 4 MiB float32`, deflated, deflatedCount * 4, [...self, 'torch', deflated]),
      measure(`.npy float32 (${count * 1024}, 1024)`, npy, count * 4, [...self, 'npy', npy]),
      measure('zerograd infer, models/mnist-cnn, (10000, 1, 28, 28)', inputs, 0, [join(root, 'src', 'cli', 'run.ts'), 'infer', '--model', 'mnist-cnn', '--input', inputs, '--out', join(dir, 'y.npy')]),
    ];
    const load = loadavg().map((l) => l.toFixed(2)).join(', ');
    const table = [
      '# Reliability: reading foreign files (issue 17, .npy and torch.save)', '',
      `Measured with \`npm run bench -- import-readers --mb ${mb}\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.versions.node},`,
      `load average ${load} (a 2-core machine shared with other agents: times are noisy). Peak RSS is \`/usr/bin/time -v\`'s`,
      'maximum resident set size of a fresh process that reads one file; the baseline row is node + tsx alone.', '',
      '| case | file | decoded values | peak RSS | RSS above baseline / decoded values | time | outcome |', '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows.map((r) => `| ${r.name} | ${r.fileMb.toFixed(1)} MiB | ${r.weightsMb ? `${r.weightsMb} MiB` : '-'} | ${r.rssMb.toFixed(0)} MiB | ${r.weightsMb ? `${((r.rssMb - rows[0].rssMb) / r.weightsMb).toFixed(2)}x` : '-'} | ${r.seconds.toFixed(2)} s | ${r.outcome} |`),
      '',
    ].join('\n');
    writeFileSync(join(root, 'bench', 'results', 'reliability', 'import.md'), table);
    console.log(table);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
