// One training pass (forward + backward, gradients of input, weight and bias) of 3x3 stride-1 conv2d layers, by
// im2col + GEMM and by the Winograd training path, alternating A B A B in one process; prints ms per pass and the ratio.
// Sets the thresholds of src/ops/conv.ts (winogradTraining); see docs/engine.md.
// Usage: npm run bench -- conv-training [--threads N] [--reps N]
import { loadavg } from 'node:os';
import * as zg from '../src/index.js';
import { winogradTraining } from '../src/ops/conv.js';

interface Layer { name: string; batch: number; c: number; o: number; size: number; padding?: number; crop?: number; relu?: boolean; inputGrad?: boolean }

const layers: Layer[] = [
  { name: 'cnn conv2 32->64 13x13 crop 10', batch: 64, c: 32, o: 64, size: 13, crop: 10, relu: true },
  { name: 'cnn-best 32->32 26x26', batch: 128, c: 32, o: 32, size: 26 },
  { name: 'cnn-best 32->64 12x12', batch: 128, c: 32, o: 64, size: 12 },
  { name: 'cnn-best 64->64 10x10', batch: 128, c: 64, o: 64, size: 10 },
  { name: '8->8 12x12 pad 1', batch: 64, c: 8, o: 8, size: 12, padding: 1 },
  { name: '8->16 12x12', batch: 64, c: 8, o: 16, size: 12 },
  { name: '16->16 12x12', batch: 64, c: 16, o: 16, size: 12 },
  { name: '16->32 14x14 pad 1', batch: 64, c: 16, o: 32, size: 14, padding: 1 },
  { name: '32->64 13x13 batch 1', batch: 1, c: 32, o: 64, size: 13, relu: true },
  { name: '64->64 6x6 batch 8', batch: 8, c: 64, o: 64, size: 6, padding: 1 },
  { name: '4->4 12x12', batch: 64, c: 4, o: 4, size: 12 },
  { name: '4->16 12x12', batch: 64, c: 4, o: 16, size: 12 },
  { name: '16->4 12x12', batch: 64, c: 16, o: 4, size: 12 },
  { name: '2->32 28x28', batch: 64, c: 2, o: 32, size: 28 },
  { name: '8->8 7x7 batch 1', batch: 1, c: 8, o: 8, size: 7 },
  { name: 'first layer 1->32 28x28 (no dx)', batch: 64, c: 1, o: 32, size: 28, inputGrad: false },
];

export async function main(args: string[]): Promise<void> {
  const threadsAt = args.indexOf('--threads');
  const repsAt = args.indexOf('--reps');
  const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 10;
  const backend = await zg.init('wasm', threadsAt >= 0 ? { threads: Number(args[threadsAt + 1]) } : {});
  const defaults = { ...winogradTraining };
  console.log(`conv2d training pass, wasm ${backend.threads} threads, Node ${process.versions.node}, load ${loadavg()[0].toFixed(1)}`);
  console.log('| layer | im2col ms | Winograd ms | speed-up |\n| --- | --- | --- | --- |');
  for (const layer of layers) {
    zg.manualSeed(1);
    const x = zg.randn([layer.batch, layer.c, layer.size, layer.size]).keep();
    const w = zg.randn([layer.o, layer.c, 3, 3]).mul(0.1).keep();
    const b = zg.zeros([layer.o]).keep();
    x.requiresGrad = layer.inputGrad ?? true;
    w.requiresGrad = true;
    b.requiresGrad = true;
    const full = layer.size + 2 * (layer.padding ?? 0) - 2;
    const outputSize: [number, number] | undefined = layer.crop ? [layer.crop, layer.crop] : undefined;
    const pass = () => zg.scope(() => {
      x.grad = null; w.grad = null; b.grad = null;
      zg.conv2d(x, w, b, { padding: layer.padding, relu: layer.relu, outputSize }).sum().backward();
      w.grad!.values(); // wait for the work
    });
    const times = { im2col: [] as number[], winograd: [] as number[] };
    for (let r = 0; r < reps + 2; r++) {
      for (const path of ['im2col', 'winograd'] as const) {
        Object.assign(winogradTraining, path === 'im2col' ? { minChannels: Infinity } : { minChannels: 1, minTiles: 1 });
        const t0 = performance.now();
        pass();
        if (r >= 2) times[path].push(performance.now() - t0);
      }
    }
    Object.assign(winogradTraining, defaults);
    const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
    const [a, c] = [median(times.im2col), median(times.winograd)];
    console.log(`| ${layer.name} (out ${layer.crop ?? full}, batch ${layer.batch}) | ${a.toFixed(2)} | ${c.toFixed(2)} | ${(a / c).toFixed(2)}x |`);
    for (const t of [x, w, b]) t.dispose();
  }
}
