// The layering of src/ is enforced by ESLint (eslint.config.js): the whole tree lints clean, and each rule
// rejects the import it exists for.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function errorsFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering (eslint.config.js)', () => {
  it('src/ lints clean', async () => {
    const results = await eslint.lintFiles(['src/**/*.ts']);
    const problems = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(problems).toEqual([]);
  }, 60_000);

  it('keeps backend internals out of the upper layers', async () => {
    expect(await errorsFor("import { WasmBackend } from '../backend/wasm/wasm-backend.js';\n", 'src/nn/example.ts'))
      .toEqual([expect.stringMatching(/no-restricted-imports: .*backend internals/)]);
    expect(await errorsFor("import { CpuBackend } from '../../backend/cpu/cpu-backend.js';\n", 'src/train/sub/example.ts')).toHaveLength(1);
    expect(await errorsFor("import type { Backend } from '../backend/backend.js';\nimport { init } from '../backend/registry.js';\n", 'src/serve/example.ts')).toEqual([]);
  });

  it('keeps tensors and autograd out of the backends', async () => {
    expect(await errorsFor("import { Tensor } from '../../tensor/tensor.js';\n", 'src/backend/wasm/example.ts'))
      .toEqual([expect.stringMatching(/backends know nothing of tensors/)]);
    expect(await errorsFor("import { record } from '../autograd/graph.js';\n", 'src/backend/example.ts')).toHaveLength(1);
  });

  it('keeps concrete backends out of the engine', async () => {
    expect(await errorsFor("import { CpuBackend } from '../backend/cpu/cpu-backend.js';\n", 'src/tensor/example.ts'))
      .toEqual([expect.stringMatching(/does not name a concrete one/)]);
  });
});
