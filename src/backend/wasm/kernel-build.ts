// Which of the two kernel builds runs: plain SIMD (every engine with wasm SIMD) or relaxed SIMD (its GEMM
// multiply-adds are FMAs; Node >= 21, Chrome >= 114, Firefox >= 145, not Safari), found by validating a probe.
// Chosen by the `kernels` option, else the ZEROGRAD_KERNELS environment variable (Node), else 'auto'.
import { UsageError, ZerogradError } from '../../errors.js';

/** A compiled kernel build: 'simd' (kernels.wasm) or 'relaxed-simd' (kernels-relaxed.wasm). */
export type KernelBuild = 'simd' | 'relaxed-simd';

/** What a caller may ask for: a build, or 'auto' (relaxed SIMD where the engine validates it, else plain). */
export type KernelChoice = KernelBuild | 'auto';

const choices: readonly KernelChoice[] = ['auto', 'simd', 'relaxed-simd'];

// (v128, v128, v128) -> v128 { f32x4.relaxed_madd(local 0, local 1, local 2) }: opcode 0xfd 0x105.
const probe = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section: one function type
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // code section
]);

let relaxedValid: boolean | undefined;

/** Whether this engine validates relaxed SIMD (Node 20 only with --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  relaxedValid ??= WebAssembly.validate(probe);
  return relaxedValid;
}

function environmentChoice(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.ZEROGRAD_KERNELS;
  return value === undefined || value === '' ? undefined : value;
}

/** The build that runs for `choice` (default: ZEROGRAD_KERNELS, else 'auto'); a build the engine refuses is an error. */
export function resolveKernelBuild(choice?: string): KernelBuild {
  const fromEnv = choice === undefined ? environmentChoice() : undefined;
  const wanted = choice ?? fromEnv ?? 'auto';
  if (!(choices as readonly string[]).includes(wanted)) {
    const where = choice === undefined ? 'ZEROGRAD_KERNELS' : 'wasm backend option kernels';
    throw new UsageError(`${where} must be ${choices.join(', ')}; got '${wanted}'`);
  }
  if (wanted === 'simd') return 'simd';
  if (wanted === 'relaxed-simd') {
    if (!relaxedSimdSupported()) {
      throw new ZerogradError('wasm kernels: relaxed-simd was asked for, but this engine does not validate relaxed SIMD '
        + '(Node 20 needs --experimental-wasm-relaxed-simd; Safari has none); use simd or auto');
    }
    return 'relaxed-simd';
  }
  return relaxedSimdSupported() ? 'relaxed-simd' : 'simd';
}
