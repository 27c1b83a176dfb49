// The TypeScript blocks of README.md, the tutorials, docs/training.md and docs/data.md run as written, so they cannot drift from the code.
// Each ```ts block is a program; a ```ts continued block runs after the ones before it. 'zerograd' resolves
// to the library with MNIST cut to a slice (zerograd-small.ts), so every program runs in seconds.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SHIM = join(import.meta.dirname, 'zerograd-small.ts');
const DOCS = ['README.md', 'docs/tutorial.md', 'docs/tutorial.zh-CN.md', 'docs/training.md', 'docs/data.md'];

/** The programs of a Markdown file: runs of ```ts blocks, each `continued` block joined to the one before. */
export function programs(markdown: string): { line: number; code: string }[] {
  const result: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(ts|typescript)\b(.*)$/.exec(lines[i]);
    if (!fence) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith('```')) end++;
    const code = lines.slice(start, end).join('\n');
    if (/\bcontinued\b/.test(fence[2]) && result.length > 0) result[result.length - 1].code += `\n${code}`;
    else result.push({ line: start, code });
    i = end;
  }
  return result;
}

/** Imports moved to the top and those of 'zerograd' merged into one (blocks import names they share). */
export function assemble(code: string): string {
  const named = new Set<string>();
  const namespaces = new Set<string>();
  const body = code.replace(/^import\s+([^;]+?)\s+from\s+'zerograd';[^\n]*$/gm, (_line, spec: string) => {
    const star = /^\*\s+as\s+(\w+)$/.exec(spec.trim());
    if (star) namespaces.add(star[1]);
    else for (const name of spec.replace(/[{}]/g, '').split(',').map((n) => n.trim()).filter(Boolean)) named.add(name);
    return '';
  });
  const header = [...namespaces].map((ns) => `import * as ${ns} from '${SHIM}';`);
  if (named.size > 0) header.push(`import { ${[...named].join(', ')} } from '${SHIM}';`);
  return [...header, body].join('\n');
}

/** Runs `node first ...rest` (a script, or a flag and its arguments) without blocking vitest. */
function run(first: string, rest: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [first, ...rest], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk; });
    child.stderr.on('data', (chunk: Buffer) => { out += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'zerograd-snippets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = DOCS.flatMap((doc) => programs(readFileSync(join(ROOT, doc), 'utf8')).map(({ line, code }, index) => {
  const file = join(dir, `${doc.replace(/[/.]/g, '_')}-${index}.mts`);
  writeFileSync(file, `${assemble(code)}\nexport {};\n`);
  return { doc, line, file };
}));

describe('documentation snippets', () => {
  it('finds programs in every document', () => {
    for (const doc of DOCS) expect(files.filter((f) => f.doc === doc).length, doc).toBeGreaterThan(0);
  });

  it('type-check (strict)', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { code, out } = await run(tsc, ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
      '--skipLibCheck', '--allowImportingTsExtensions', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), ...files.map((f) => f.file)]);
    expect(code, out).toBe(0);
  }, 300_000);

  for (const { doc, line, file } of files) {
    it(`${doc}:${line} runs`, async () => {
      const { code, out } = await run('--import', ['tsx', file]);
      expect(code, out).toBe(0);
      expect(out).not.toMatch(/two copies of the engine|reference backend \('cpu'\), about 100x slower/);
    }, 300_000);
  }
});
