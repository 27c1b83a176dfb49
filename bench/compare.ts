// Head-to-head benchmark (issue 7): the same MNIST jobs in zerograd, PyTorch, TF.js (wasm, cpu) and
// jax-js, one job at a time, each in its own child process, in one run on this machine.
// Usage: npm run bench -- compare [--quick] [--peers zerograd,pytorch,...] [--node PATH] [--also-node PATH]
// (--node runs zerograd's side under that Node binary, e.g. Node 26; the other Node peers keep this one;
// --also-node runs zerograd a second time under another binary, so one run gives a column per Node;
// --reuse tfjs-cpu,... keeps those peers' jobs from the previous bench/results/compare.json, marked with their date,
// instead of running them again: for slow peers whose speed the change at hand does not touch).
// Writes bench/results/compare.json and the "Head-to-head" section of BENCHMARKS.md.
// The peers live in bench/peers/ (runner.ts + one file per Node peer, torch_mnist.py); plan.ts sizes the jobs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALT_PEER, plan, PEERS, UNRUNNABLE, type PeerName, type PlannedJob } from './peers/plan.js';
import { parseResult } from './peers/protocol.js';
import { renderSection, type CompareResults, type JobOutcome } from './peers/report.js';
import { replaceSection } from './timing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = '/usr/bin/python3';
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

// ---- how to start each peer ----

interface Launch { command: string; args: string[]; env: NodeJS.ProcessEnv }

/** The Node binaries zerograd runs under: `main` for the zerograd peer, `alt` for zerograd-alt. */
interface ZerogradNodes { main: string; alt?: string }

/** The command for one job, or the reason the peer cannot run here. */
function launch(peer: PeerName, jobJson: string, nodes: ZerogradNodes): Launch | string {
  const node = (file: string, binary: string, ...extra: string[]): Launch => ({
    command: binary, args: ['--import', 'tsx', join(root, 'bench/peers', file), jobJson, ...extra], env: { ...process.env },
  });
  const require = createRequire(import.meta.url);
  const installed = (name: string) => {
    for (const request of [`${name}/package.json`, name]) { // some packages do not export ./package.json
      try { require.resolve(request); return true; } catch { /* try the next */ }
    }
    return false;
  };
  switch (peer) {
    case 'zerograd': return node('zerograd.ts', nodes.main);
    case 'zerograd-alt': return nodes.alt ? node('zerograd.ts', nodes.alt) : 'no --also-node binary given';
    case 'tfjs-wasm':
      if (!installed('@tensorflow/tfjs') || !installed('@tensorflow/tfjs-backend-wasm')) return '@tensorflow/tfjs and @tensorflow/tfjs-backend-wasm are not installed (npm install)';
      return node('tfjs.ts', process.execPath, 'wasm');
    case 'tfjs-cpu':
      if (!installed('@tensorflow/tfjs')) return '@tensorflow/tfjs is not installed (npm install)';
      return node('tfjs.ts', process.execPath, 'cpu');
    case 'jax-js':
      if (!installed('@jax-js/jax')) return '@jax-js/jax is not installed (npm install)';
      return node('jaxjs.ts', process.execPath);
    case 'pytorch':
    case 'pytorch-1t': {
      if (!existsSync(PYTHON)) return `${PYTHON} not found`;
      const threads = peer === 'pytorch-1t' ? 1 : cpus().length;
      // As a pip user would have it: OpenBLAS (not Debian's reference BLAS), tuned glibc malloc, threads = cores.
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        LD_LIBRARY_PATH: existsSync(OPENBLAS_DIR) ? OPENBLAS_DIR : process.env.LD_LIBRARY_PATH,
        MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '4294967296', MALLOC_TOP_PAD_: '268435456',
        OMP_NUM_THREADS: String(threads),
      };
      delete env.OPENBLAS_CORETYPE;
      delete env.OPENBLAS_L2_SIZE;
      return { command: PYTHON, args: [join(root, 'bench/peers/torch_mnist.py'), JSON.stringify({ ...JSON.parse(jobJson), threads })], env };
    }
  }
}

/** Runs one planned job in a child process; never throws (failures become "not measured"). */
function runJob(planned: PlannedJob, nodes: ZerogradNodes): Promise<JobOutcome> {
  const start = performance.now();
  const how = launch(planned.peer, JSON.stringify(planned.job), nodes);
  if (typeof how === 'string') return Promise.resolve({ ...planned, status: 'not measured', reason: how, wallSeconds: 0 });
  return new Promise((resolve) => {
    const child = spawn(how.command, how.args, { cwd: root, env: how.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = () => { child.kill('SIGKILL'); process.exit(130); }; // do not leave a peer running when interrupted
    process.once('SIGINT', stop).once('SIGTERM', stop);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, planned.timeoutSeconds * 1000);
    const finish = (code: number | null, spawnError?: Error) => {
      clearTimeout(timer);
      process.off('SIGINT', stop).off('SIGTERM', stop);
      const wallSeconds = (performance.now() - start) / 1000;
      const lastError = stderr.trim().split('\n').filter((l) => /error|Error|not found|No module/.test(l)).pop() ?? stderr.trim().split('\n').pop() ?? '';
      if (spawnError) return resolve({ ...planned, status: 'not measured', reason: `could not start ${how.command}: ${spawnError.message}`, wallSeconds });
      if (timedOut) return resolve({ ...planned, status: 'not measured', reason: `exceeded its ${planned.timeoutSeconds} s budget in this mode`, wallSeconds });
      if (code !== 0) return resolve({ ...planned, status: 'not measured', reason: `the runner failed (exit ${code}): ${lastError.slice(0, 300)}`, wallSeconds });
      try {
        resolve({ ...planned, status: 'ok', wallSeconds, result: parseResult(stdout) });
      } catch (error) {
        resolve({ ...planned, status: 'not measured', reason: (error as Error).message, wallSeconds });
      }
    };
    child.on('error', (error) => finish(null, error));
    child.on('close', (code) => finish(code));
  });
}

/** The Node binary named by `flag` (validated, with its version), or undefined when the flag is absent. */
function nodeBinary(args: string[], flag: string): { path: string; version: string } | undefined {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const path = args[at + 1];
  if (!path || path.startsWith('--')) throw new Error(`${flag}: expected the path of a Node binary; got nothing`);
  if (!existsSync(path)) throw new Error(`${flag}: ${path} does not exist; expected the path of a Node binary (e.g. the one bash ../shared/acceptance/node-current.sh prints)`);
  const version = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`${flag}: ${path} --version failed; expected the path of a Node binary`);
  return { path, version: version.stdout.trim().replace(/^v/, '') };
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(', ');

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const peersFlag = args.indexOf('--peers');
  let peers: PeerName[] = [...PEERS];
  if (peersFlag >= 0) {
    const names = (args[peersFlag + 1] ?? '').split(',').filter(Boolean);
    const unknown = names.filter((n) => !PEERS.includes(n as PeerName));
    if (names.length === 0 || unknown.length) throw new Error(`--peers: expected a comma-separated list of ${PEERS.join(', ')}; got ${args[peersFlag + 1] ?? 'nothing'}`);
    peers = names as PeerName[];
  }
  const main = nodeBinary(args, '--node');
  const alt = nodeBinary(args, '--also-node');
  if (alt && !peers.includes(ALT_PEER)) peers.splice(peers.indexOf('zerograd') + 1, 0, ALT_PEER); // its rows next to zerograd's
  const nodes: ZerogradNodes = { main: main?.path ?? process.execPath, alt: alt?.path };
  if (main || alt) {
    console.log(`zerograd runs under ${nodes.main} (v${main?.version ?? process.versions.node})${alt ? ` and ${alt.path} (v${alt.version})` : ''}; the other Node peers under ${process.execPath} (v${process.versions.node})`);
  }
  const reuseFlag = args.indexOf('--reuse');
  const reused: JobOutcome[] = [];
  if (reuseFlag >= 0) {
    const names = (args[reuseFlag + 1] ?? '').split(',').filter(Boolean);
    const bad = names.filter((n) => !PEERS.includes(n as PeerName) || n === 'zerograd');
    if (names.length === 0 || bad.length) throw new Error(`--reuse: expected a comma-separated list of peers other than zerograd (${PEERS.filter((p) => p !== 'zerograd').join(', ')}); got ${args[reuseFlag + 1] ?? 'nothing'}`);
    const previousPath = join(root, 'bench/results/compare.json');
    if (!existsSync(previousPath)) throw new Error(`--reuse: ${previousPath} does not exist; run the full comparison once first`);
    const previous = JSON.parse(readFileSync(previousPath, 'utf8')) as CompareResults;
    for (const job of previous.jobs.filter((j) => names.includes(j.peer))) reused.push({ ...job, reusedFrom: job.reusedFrom ?? previous.date });
    peers = peers.filter((p) => !names.includes(p));
  }
  const command = `npm run bench -- compare${args.length ? ` ${args.join(' ')}` : ''}`;
  const loadBefore = load();
  const jobs = plan(quick, peers);
  const outcomes: JobOutcome[] = [];
  const t0 = performance.now();
  for (const [i, job] of jobs.entries()) {
    process.stdout.write(`[${i + 1}/${jobs.length}] ${job.id} ... `);
    const outcome = await runJob(job, nodes);
    outcomes.push(outcome);
    console.log(outcome.status === 'ok' ? `ok (${outcome.wallSeconds.toFixed(1)} s)` : `not measured: ${outcome.reason}`);
  }
  const results: CompareResults = {
    command,
    mode: quick ? 'quick' : 'full',
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown CPU', cores: cpus().length, node: process.versions.node, loadBefore, loadAfter: load(), ...(main ? { zerogradNode: main.version } : {}), ...(alt ? { altNode: alt.version } : {}) },
    jobs: [...outcomes, ...reused],
    unrunnable: UNRUNNABLE,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/compare.json'), JSON.stringify(results, null, 2));
  const section = renderSection(results);
  const path = join(root, 'BENCHMARKS.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceSection(text, 'head-to-head', section));
  console.log(`\n${section}\n\nwrote bench/results/compare.json and the Head-to-head section of BENCHMARKS.md in ${((performance.now() - t0) / 60000).toFixed(1)} min`);
}
