// The direct convolution kernels against the im2col path they replace, per layer shape, in one process:
// forward = im2col + GEMM + epilogue vs convDirect; filter = epilogue backward + dW GEMM + bias reduce vs
// convDirectBackwardFilter (both with the fused ReLU). Prints a table (milliseconds, best of 5 samples x 3 rounds); writes nothing.
// `npm run bench -- conv-direct [--threads N] [--quick]` (how DIRECT_MAX_CHANNELS in src/ops/conv.ts was chosen).
import { ReduceOp, type WindowGeometry } from '../src/backend/backend.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { time } from './timing.js';

interface Layer { batch: number; inChannels: number; outChannels: number; size: number; kernel: number; pad: number }

const layers: Layer[] = [
  { batch: 64, inChannels: 1, outChannels: 32, size: 28, kernel: 3, pad: 0 }, // cnn, cnn-best
  { batch: 64, inChannels: 1, outChannels: 16, size: 28, kernel: 5, pad: 0 }, // cnn-fast
  { batch: 64, inChannels: 1, outChannels: 32, size: 28, kernel: 3, pad: 1 },
  { batch: 64, inChannels: 2, outChannels: 32, size: 28, kernel: 3, pad: 0 },
  { batch: 64, inChannels: 3, outChannels: 32, size: 28, kernel: 3, pad: 0 },
  { batch: 64, inChannels: 4, outChannels: 32, size: 28, kernel: 3, pad: 0 },
  { batch: 64, inChannels: 8, outChannels: 32, size: 28, kernel: 3, pad: 0 },
  { batch: 64, inChannels: 3, outChannels: 16, size: 28, kernel: 5, pad: 2 },
  { batch: 64, inChannels: 1, outChannels: 32, size: 28, kernel: 7, pad: 3 },
  { batch: 64, inChannels: 3, outChannels: 32, size: 28, kernel: 7, pad: 3 },
];

function measure(be: WasmBackend, layer: Layer): { im2col: [number, number]; direct: [number, number] } {
  const { batch, inChannels: c, outChannels: o, size, kernel: k, pad } = layer;
  const out = size + 2 * pad - k + 1;
  const spatial = out * out;
  const rows = batch * spatial;
  const patch = c * k * k;
  const g: WindowGeometry = {
    batch, channels: c, height: size, width: size, kernelH: k, kernelW: k, strideH: 1, strideW: 1, padH: pad, padW: pad,
    outH: out, outW: out,
  };
  const alloc = (length: number) => {
    const b = be.alloc(length, 'float32');
    be.write(b, Float32Array.from({ length }, () => Math.random() - 0.5));
    return b;
  };
  const [x, w, bias, cols, flat, y, dy, dw, db] = [batch * c * size * size, o * patch, o, rows * patch, rows * o,
    batch * o * spatial, batch * o * spatial, o * patch, o].map(alloc);
  const geometry = { batch, channels: o, spatial };
  const base = { batch: 1, aBatchStride: 0, bBatchStride: 0, accumulate: false };
  const forwardIm2col = time(() => {
    be.im2col(x, cols, g);
    be.matmul(cols, w, flat, { ...base, m: rows, n: o, k: patch, transA: false, transB: true });
    be.convEpilogue(flat, bias, y, geometry, true);
  }).best;
  const filterIm2col = time(() => {
    be.convEpilogueBackward(dy, y, flat, geometry);
    be.matmul(flat, cols, dw, { ...base, m: o, n: patch, k: rows, transA: true, transB: false });
    be.reduce(ReduceOp.Sum, flat, db, 1, rows, o);
  }).best;
  const forwardDirect = time(() => be.convDirect(x, w, bias, y, g, o, true)).best;
  const filterDirect = time(() => be.convDirectBackwardFilter(x, dy, y, dw, db, g, o)).best;
  for (const b of [x, w, bias, cols, flat, y, dy, dw, db]) be.free(b);
  return { im2col: [forwardIm2col * 1e3, filterIm2col * 1e3], direct: [forwardDirect * 1e3, filterDirect * 1e3] };
}

export async function main(args: string[]): Promise<void> {
  const at = args.indexOf('--threads');
  const threads = at >= 0 ? Number(args[at + 1]) : 2;
  const rounds = args.includes('--quick') ? 1 : 3; // best of 3 rounds per cell: a busy machine mostly slows things down
  const be = await createWasmBackend({ threads });
  console.log(`direct convolution vs im2col, ${threads} threads, ${be.kernelBuild} kernels, ReLU fused (ms, best of 5 x ${rounds} rounds)`);
  console.log('layer                               | fwd im2col | fwd direct | filter im2col | filter direct | total ratio');
  for (const layer of layers) {
    const r = measure(be, layer);
    for (let round = 1; round < rounds; round++) {
      const again = measure(be, layer);
      for (const key of ['im2col', 'direct'] as const) for (const i of [0, 1]) r[key][i] = Math.min(r[key][i], again[key][i]);
    }
    const name = `${layer.batch}x${layer.inChannels}x${layer.size}x${layer.size} -> ${layer.outChannels}, ${layer.kernel}x${layer.kernel} pad ${layer.pad}`;
    const ratio = (r.im2col[0] + r.im2col[1]) / (r.direct[0] + r.direct[1]);
    console.log(`${name.padEnd(35)} | ${r.im2col[0].toFixed(3).padStart(10)} | ${r.direct[0].toFixed(3).padStart(10)} | ${r.im2col[1].toFixed(3).padStart(13)} | ${r.direct[1].toFixed(3).padStart(13)} | ${ratio.toFixed(2)}x`);
  }
  be.dispose();
}
