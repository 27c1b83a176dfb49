// Bad weights through the CLI, measured: NaN weights, overlapping safetensors spans, model files
// linked to /dev/zero or made FIFOs; peak RSS and wall time from /usr/bin/time -v, exit code, message.
// Usage: node --import tsx bench/reliability-weights.ts [--checkout DIR] [--timeout S]   (Linux: /usr/bin/time, /proc)
//   --checkout runs DIR/src/cli/run.ts instead (e.g. an older commit unpacked with git archive).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { encodePng } from '../src/data/image.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const ROOT = resolve(import.meta.dirname, '..');
const checkout = resolve(flag('--checkout', ROOT));
const timeoutSeconds = Number(flag('--timeout', '20'));
const SHIPPED = join(ROOT, 'models', 'mnist-cnn');

const work = mkdtempSync(join(tmpdir(), 'zerograd-bench-weights-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true }));

function header(bytes: Buffer): { json: Record<string, { data_offsets: [number, number] }>; dataStart: number } {
  const length = Number(bytes.readBigUInt64LE(0));
  return { json: JSON.parse(bytes.subarray(8, 8 + length).toString()), dataStart: 8 + length };
}

function folder(name: string, edit: (dir: string) => void): string {
  const dir = join(work, name);
  cpSync(SHIPPED, dir, { recursive: true });
  edit(dir);
  return dir;
}

const nan = folder('nan', (dir) => {
  const path = join(dir, 'model.safetensors');
  const bytes = readFileSync(path);
  const { json, dataStart } = header(bytes);
  for (const name of ['2.weight', '5.weight']) bytes.writeFloatLE(Number.NaN, dataStart + json[name].data_offsets[0]);
  writeFileSync(path, bytes);
});
const overlap = folder('overlap', (dir) => {
  const path = join(dir, 'model.safetensors');
  const bytes = readFileSync(path);
  const { json, dataStart } = header(bytes);
  const [start, end] = json['5.weight'].data_offsets;
  json['5.bias'].data_offsets = [start, start + 40];
  json['5.weight'].data_offsets = [start + 20, end + 20];
  const text = JSON.stringify(json);
  bytes.fill(0x20, 8, dataStart);
  bytes.write(text, 8);
  writeFileSync(path, bytes);
});
const zero = folder('zero', (dir) => { rmSync(join(dir, 'model.safetensors')); symlinkSync('/dev/zero', join(dir, 'model.safetensors')); });
const fifoWeights = folder('fifo-weights', (dir) => { rmSync(join(dir, 'model.safetensors')); execFileSync('mkfifo', [join(dir, 'model.safetensors')]); });
const fifoConfig = folder('fifo-config', (dir) => { rmSync(join(dir, 'config.json')); execFileSync('mkfifo', [join(dir, 'config.json')]); });

const image = join(work, 'digit.png');
const pixels = new Uint8Array(28 * 28);
for (let y = 6; y < 22; y++) pixels[y * 28 + 14] = 255; // a "1"
writeFileSync(image, encodePng(pixels, 28, 28));

interface Row { name: string; command: string; rssMb: number; seconds: number; code: string; message: string }

/** The pids of `pid`'s children (Linux /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Runs the CLI under /usr/bin/time -v; past the timeout the node process is killed (time still reports its peak RSS). */
function measure(name: string, cliArgs: string[], limitSeconds: number): Promise<Row> {
  const cli = join(checkout, 'src', 'cli', 'run.ts');
  const child = spawn('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', cli, ...cliArgs], { cwd: checkout, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { if (stdout.length < 1e6) stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-1e6); }); // time's report comes last
  let killed = false;
  let peakBeforeKill = Number.NaN; // MB, VmHWM read from /proc just before the kill
  const timer = setTimeout(() => {
    killed = true;
    for (const pid of childrenOf(child.pid as number)) {
      try {
        peakBeforeKill = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
      } catch { /* already gone */ }
      process.kill(pid, 'SIGKILL');
    }
  }, limitSeconds * 1000);
  return new Promise((done) => child.on('close', () => {
    clearTimeout(timer);
    const reported = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
    const rss = reported === undefined ? peakBeforeKill : Number(reported) / 1024; // time's report is cut short after a kill
    const elapsed = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(stderr)?.[1] ?? '';
    const seconds = elapsed === '' ? limitSeconds : elapsed.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
    const status = /Exit status: (\d+)/.exec(stderr)?.[1];
    const lines = [...stderr.split('\n').filter((l) => l.startsWith('zerograd:')), ...stdout.split('\n').filter((l) => l.trim() !== '')];
    const message = (lines[0] ?? '').replaceAll(work, '<tmp>').slice(0, 160);
    done({ name, command: `zerograd ${cliArgs.join(' ').replaceAll(work, '<tmp>')}`, rssMb: rss, seconds, code: killed ? `killed after ${limitSeconds} s` : String(status ?? child.exitCode), message });
  }));
}

// [case, arguments, seconds before it is killed]: the non-regular files get --timeout (the old reader
// never returns from them: /dev/zero grows without bound, a FIFO waits for a writer); the others 120 s.
const cases: [string, string[], number][] = [
  ['intact model, predict (reference)', ['predict', '--model', SHIPPED, image], 120],
  ['NaN weights, predict', ['predict', '--model', nan, image], 120],
  ['NaN weights, eval', ['eval', '--model', nan, '--limit', '1000', '--backend', 'cpu'], 120],
  ['overlapping data_offsets, predict', ['predict', '--model', overlap, image], 120],
  ['model.safetensors -> /dev/zero, predict', ['predict', '--model', zero, image], timeoutSeconds],
  ['model.safetensors a FIFO, predict', ['predict', '--model', fifoWeights, image], timeoutSeconds],
  ['config.json a FIFO, eval', ['eval', '--model', fifoConfig, '--backend', 'cpu'], timeoutSeconds],
];
const rows: Row[] = [];
for (const [name, cliArgs, limit] of cases) rows.push(await measure(name, cliArgs, limit)); // one at a time
const [one, five, fifteen] = loadavg().map((l) => l.toFixed(2));
console.log(`checkout ${checkout}; load average ${one}, ${five}, ${fifteen}; non-regular files killed after ${timeoutSeconds} s`);
console.log('| case | peak RSS | time | exit | first line |');
console.log('| --- | ---: | ---: | --- | --- |');
for (const r of rows) console.log(`| ${r.name} | ${r.rssMb.toFixed(0)} MB | ${r.seconds.toFixed(2)} s | ${r.code} | ${r.message.replaceAll('|', '\\|')} |`);
console.log('');
for (const r of rows) console.log(`- ${r.name}: \`${r.command}\``);
