// Reliability of the data layer against hostile files: generates the bomb cases of issue 14 in a temp folder
// (huge PNG/JPEG, an image folder with a huge PNG, IDX and CSV gzip bombs, a symlink to /dev/zero, a FIFO), runs
// the CLI on each under /usr/bin/time -v and writes peak RSS, time and outcome to bench/results/reliability/data.md.
// Run: npm run bench -- reliability-data [--quick: skip the slow-to-make 2 GiB CSV bomb]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { encodeIdxImages, encodeIdxLabels } from '../src/data/idx.js';
import { encodePng } from '../src/data/image.js';
import { jpegWithHeader, pngWithHeader, writeGzipBomb } from '../test/data/hostile.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = join(root, 'models', 'mnist-cnn');

interface Case { name: string; before: string; args: string[] }
interface Measured extends Case { rssMb: number; seconds: number; code: number | null; outcome: string }

/** A complete, valid `width`x`height` gray PNG of `depth` bits, all background: big when decoded, small on disk. */
function blankPng(width: number, height: number, depth: 1 | 8): Buffer {
  const stride = Math.ceil((width * depth) / 8) + 1; // + the filter byte of each row
  const raw = Buffer.alloc(stride * height, depth === 1 ? 0xff : 0xf0);
  for (let y = 0; y < height; y++) raw[y * stride] = 0; // filter None
  return pngWithHeader(width, height, { depth, idat: deflateSync(raw, { level: 9 }) });
}

/** A digit: dark ink on light paper. */
function digitPng(side: number): Buffer {
  const gray = new Uint8Array(side * side).fill(240);
  for (let y = Math.floor(side * 0.2); y < side * 0.8; y++) for (let x = Math.floor(side * 0.45); x < side * 0.55; x++) gray[y * side + x] = 20;
  return encodePng(gray, side, side);
}

function measure(c: Case): Measured {
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', join(root, 'src', 'cli', 'run.ts'), ...c.args], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  const seconds = (performance.now() - started) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
  const lines = run.stderr.split('\n').filter((l) => l.startsWith('zerograd:'));
  const code = run.status ?? (run.signal ? null : -1);
  const outcome = `exit ${code ?? run.signal}${lines.length ? `: ${lines[0].replace(/\/tmp\/[^/]+\//g, '')}` : run.stdout.trim() ? `: ${run.stdout.trim().split('\n')[0].replace(/\/tmp\/[^/]+\//g, '')}` : ''}`;
  return { ...c, rssMb: rss ? Number(rss[1]) / 1024 : NaN, seconds, code, outcome };
}

/** `npm run bench -- reliability-data [--quick]`. */
export async function main(args: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zerograd-reliability-'));
  const file = (name: string, bytes: Uint8Array): string => { writeFileSync(join(dir, name), bytes); return join(dir, name); };
  try {
    console.log(`making hostile files in ${dir}`);
    const small = file('digit.png', digitPng(56));
    const png30k = file('bomb-30000.png', blankPng(30000, 30000, 1));
    const png8k = file('bomb-8000.png', blankPng(8000, 8000, 8));
    const jpg = file('bomb-9500.jpg', jpegWithHeader(9500, 9500));
    const atLimit = file('limit-4096.png', blankPng(4096, 4096, 8)); // exactly 16 MP: decoded; "no visible ink"
    const limitJpeg = file('limit-4000.jpg', jpeg.encode({ width: 4000, height: 4000, data: Buffer.alloc(4000 * 4000 * 4, 200) }, 80).data);
    const folder = join(dir, 'folder');
    mkdirSync(join(folder, '3'), { recursive: true });
    writeFileSync(join(folder, '3', 'a.png'), digitPng(40));
    writeFileSync(join(folder, '3', 'huge.png'), blankPng(12000, 12000, 8));
    const idx = join(dir, 'idx');
    mkdirSync(idx);
    await writeGzipBomb(join(idx, 'train-images-idx3-ubyte.gz'), encodeIdxImages(new Uint8Array(0), 60000, 28, 28), 2 ** 30 - 16); // 1 GiB inflated, header says 47 MB
    writeFileSync(join(idx, 'train-labels-idx1-ubyte'), encodeIdxLabels(new Uint8Array(60000)));
    const csvRow = Buffer.from(`1,${new Array(784).fill(0).join(',')}\n`);
    const csv = join(dir, 'bomb.csv.gz');
    if (!args.includes('--quick')) await writeGzipBomb(csv, csvRow, csvRow.length * Math.ceil(2 ** 31 / csvRow.length), Buffer.concat(Array.from({ length: 1024 }, () => csvRow)));
    const zero = join(dir, 'zero.csv');
    symlinkSync('/dev/zero', zero);
    const fifo = join(dir, 'fifo.csv');
    execFileSync('mkfifo', [fifo]);
    const size = (path: string): string => `${(statSync(path).size / 1024).toFixed(0)} KB`;
    const out = join(dir, 'out');

    const cases: Case[] = [
      { name: 'baseline: predict a 56x56 digit', before: '', args: ['predict', '--model', MODEL, small] },
      { name: `predict a 30000x30000 1-bit PNG (${size(png30k)})`, before: '7.1 GB, 32 s, "no visible ink" without the file', args: ['predict', '--model', MODEL, png30k] },
      { name: `predict an 8000x8000 PNG (${size(png8k)})`, before: '1.0 GB', args: ['predict', '--model', MODEL, png8k] },
      { name: `predict a 9500x9500 JPEG (header + no scan, ${size(jpg)})`, before: '1.9 GB', args: ['predict', '--model', MODEL, jpg] },
      { name: `predict a 4096x4096 PNG (at the limit, decoded; ${size(atLimit)})`, before: '', args: ['predict', '--model', MODEL, atLimit] },
      { name: `predict a 4000x4000 JPEG (under the limit, decoded; ${size(limitJpeg)})`, before: '', args: ['predict', '--model', MODEL, limitJpeg] },
      { name: 'data: image folder with a 12000x12000 PNG', before: '1.95 GB', args: ['data', '--dataset', folder, '--out', out] },
      { name: `data: IDX .gz inflating to 1 GiB (${size(join(idx, 'train-images-idx3-ubyte.gz'))}), header says 47 MB`, before: '2.3 GB before its error', args: ['data', '--dataset', idx, '--out', out] },
      ...(args.includes('--quick') ? [] : [{ name: `data: .csv.gz inflating to 2 GiB (${size(csv)})`, before: '4.3 GB', args: ['data', '--dataset', csv, '--out', out] }]),
      { name: 'data: a .csv symlinked to /dev/zero', before: 'unbounded read (weights: 7 GB in 30 s)', args: ['data', '--dataset', zero, '--out', out] },
      { name: 'data: a FIFO named .csv', before: 'hangs forever', args: ['data', '--dataset', fifo, '--out', out] },
    ];
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    const rows: Measured[] = [];
    for (const c of cases) {
      const m = measure(c);
      rows.push(m);
      console.log(`${m.name.padEnd(70)} ${m.rssMb.toFixed(0).padStart(6)} MB ${m.seconds.toFixed(2).padStart(7)} s  ${m.outcome.slice(0, 140)}`);
    }
    const table = [
      '# Reliability of the data layer: hostile files (issue 14)',
      '',
      `Measured by \`npm run bench -- reliability-data\` (bench/reliability-data.ts) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version},`,
      `2-core VM shared with other jobs (load average ${load} at the start). Peak RSS is /usr/bin/time -v's "Maximum`,
      'resident set size" of the whole CLI process (Node + tsx + the model for predict); time is wall clock including start-up.',
      '"Before" is quoted from issue 14.',
      '',
      '| case | before | peak RSS after | time after | outcome |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.name} | ${r.before || '-'} | ${r.rssMb.toFixed(0)} MB | ${r.seconds.toFixed(2)} s | ${r.outcome.replace(/\|/g, '\\|')} |`),
      '',
      `Command per case: \`/usr/bin/time -v node --import tsx src/cli/run.ts <args>\` (the args are in bench/reliability-data.ts).`,
      '',
    ].join('\n');
    const outFile = join(root, 'bench', 'results', 'reliability', 'data.md');
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, table);
    console.log(`wrote ${outFile}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
