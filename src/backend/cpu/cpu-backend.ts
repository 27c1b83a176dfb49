// The reference backend: plain TypeScript loops in float64, written to be obviously correct.
// It is the oracle that the WebAssembly kernels are tested against and the backend for
// float64 gradient checks. Speed is not a goal here.
import type {
  AdamParams, AdamSlots, Backend, BatchNormGeometry, BroadcastPlan, ConvOutputGeometry, DataBuffer, DType, MatmulParams, SgdParams, StridedCopy, WindowGeometry,
} from '../backend.js';
import { BinaryOp, ReduceOp, UnaryOp } from '../backend.js';
import { binaryScalar, unaryDerivative, unaryScalar } from './scalar-math.js';
import { winogradTileStride } from '../winograd-layout.js';
import { winogradConvBackward } from './winograd-backward.js';

class CpuBuffer implements DataBuffer {
  constructor(readonly data: Float64Array, readonly dtype: DType) {}
  get length(): number {
    return this.data.length;
  }
}

function buf(b: DataBuffer): Float64Array {
  return (b as CpuBuffer).data;
}

/** Calls `visit(srcIndex, dstIndex)` for every index of `shape` under two stride sets. */
function forEachStrided(
  shape: readonly number[], aStrides: readonly number[], aOffset: number,
  bStrides: readonly number[], bOffset: number, visit: (a: number, b: number, flat: number) => void,
): void {
  const rank = shape.length;
  const total = shape.reduce((p, d) => p * d, 1);
  if (total === 0) return;
  const index = new Array<number>(rank).fill(0);
  let a = aOffset;
  let b = bOffset;
  for (let flat = 0; flat < total; flat++) {
    visit(a, b, flat);
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      a += aStrides[axis];
      b += bStrides[axis];
      if (index[axis] < shape[axis]) break;
      a -= aStrides[axis] * shape[axis];
      b -= bStrides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
}

export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly threads = 1;
  private live = 0;

  alloc(length: number, dtype: DType): DataBuffer {
    this.live += length * 8;
    return new CpuBuffer(new Float64Array(length), dtype);
  }

  free(buffer: DataBuffer): void {
    this.live -= buffer.length * 8;
  }

  write(buffer: DataBuffer, data: ArrayLike<number>, offset = 0): void {
    const out = buf(buffer);
    const int = buffer.dtype === 'int32';
    for (let i = 0; i < data.length; i++) out[offset + i] = int ? Math.trunc(data[i]) : data[i];
  }

  read(buffer: DataBuffer): Float64Array | Int32Array {
    return buffer.dtype === 'int32' ? Int32Array.from(buf(buffer)) : Float64Array.from(buf(buffer));
  }

  memoryInUse(): number {
    return this.live;
  }

  fill(out: DataBuffer, value: number): void {
    buf(out).fill(value);
  }

  unary(op: UnaryOp, x: DataBuffer, out: DataBuffer, alpha: number): void {
    const xs = buf(x);
    const ys = buf(out);
    for (let i = 0; i < xs.length; i++) ys[i] = unaryScalar(op, xs[i], alpha);
  }

  unaryBackward(op: UnaryOp, x: DataBuffer, y: DataBuffer, dy: DataBuffer, dx: DataBuffer, alpha: number): void {
    const xs = buf(x);
    const ys = buf(y);
    const dys = buf(dy);
    const dxs = buf(dx);
    for (let i = 0; i < xs.length; i++) dxs[i] = unaryDerivative(op, xs[i], ys[i], alpha) * dys[i];
  }

  binary(op: BinaryOp, a: DataBuffer, b: DataBuffer, out: DataBuffer, plan: BroadcastPlan): void {
    const as = buf(a);
    const bs = buf(b);
    const os = buf(out);
    forEachStrided(plan.shape, plan.aStrides, 0, plan.bStrides, 0, (ia, ib, flat) => {
      os[flat] = binaryScalar(op, as[ia], bs[ib]);
    });
  }

  affine(x: DataBuffer, out: DataBuffer, scale: number, shift: number): void {
    const xs = buf(x);
    const ys = buf(out);
    for (let i = 0; i < xs.length; i++) ys[i] = xs[i] * scale + shift;
  }

  cast(x: DataBuffer, out: DataBuffer): void {
    const xs = buf(x);
    const ys = buf(out);
    const int = out.dtype === 'int32';
    for (let i = 0; i < xs.length; i++) ys[i] = int ? Math.trunc(xs[i]) : xs[i];
  }

  reduce(op: ReduceOp, x: DataBuffer, out: DataBuffer, outer: number, size: number, inner: number): void {
    const xs = buf(x);
    const ys = buf(out);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = op === ReduceOp.Sum ? 0 : op === ReduceOp.Max ? -Infinity : Infinity;
        for (let s = 0; s < size; s++) {
          const v = xs[(o * size + s) * inner + i];
          if (op === ReduceOp.Sum) acc += v;
          else if (op === ReduceOp.Max) acc = v > acc || Number.isNaN(v) ? v : acc;
          else acc = v < acc || Number.isNaN(v) ? v : acc;
        }
        ys[o * inner + i] = acc;
      }
    }
  }

  argmax(x: DataBuffer, out: DataBuffer, outer: number, size: number, inner: number): void {
    const xs = buf(x);
    const ys = buf(out);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        let bestValue = -Infinity;
        for (let s = 0; s < size; s++) {
          const v = xs[(o * size + s) * inner + i];
          if (v > bestValue) {
            bestValue = v;
            best = s;
          }
        }
        ys[o * inner + i] = best;
      }
    }
  }

  stridedCopy(src: DataBuffer, dst: DataBuffer, plan: StridedCopy): void {
    const ss = buf(src);
    const ds = buf(dst);
    forEachStrided(plan.shape, plan.srcStrides, plan.srcOffset, plan.dstStrides, plan.dstOffset, (is, id) => {
      ds[id] = plan.accumulate ? ds[id] + ss[is] : ss[is];
    });
  }

  gather(x: DataBuffer, indices: DataBuffer, out: DataBuffer, outer: number, axisSize: number, inner: number): void {
    const xs = buf(x);
    const idx = buf(indices);
    const ys = buf(out);
    const count = idx.length;
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < count; c++) {
        const from = (o * axisSize + idx[c]) * inner;
        const to = (o * count + c) * inner;
        for (let i = 0; i < inner; i++) ys[to + i] = xs[from + i];
      }
    }
  }

  scatterAdd(dy: DataBuffer, indices: DataBuffer, dx: DataBuffer, outer: number, axisSize: number, inner: number): void {
    const dys = buf(dy);
    const idx = buf(indices);
    const dxs = buf(dx);
    const count = idx.length;
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < count; c++) {
        const to = (o * axisSize + idx[c]) * inner;
        const from = (o * count + c) * inner;
        for (let i = 0; i < inner; i++) dxs[to + i] += dys[from + i];
      }
    }
  }

  matmul(a: DataBuffer, b: DataBuffer, out: DataBuffer, p: MatmulParams): void {
    const as = buf(a);
    const bs = buf(b);
    const os = buf(out);
    const { m, n, k } = p;
    for (let batch = 0; batch < p.batch; batch++) {
      const aBase = batch * p.aBatchStride;
      const bBase = batch * p.bBatchStride;
      const oBase = batch * m * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let t = 0; t < k; t++) {
            const av = p.transA ? as[aBase + t * m + i] : as[aBase + i * k + t];
            const bv = p.transB ? bs[bBase + j * k + t] : bs[bBase + t * n + j];
            acc += av * bv;
          }
          os[oBase + i * n + j] = p.accumulate ? os[oBase + i * n + j] + acc : acc;
        }
      }
    }
  }

  /** Visits every (column index, input pixel index or -1 for padding) pair of the im2col matrix. */
  private forEachPatchElement(g: WindowGeometry, visit: (column: number, pixel: number) => void): void {
    const patch = g.channels * g.kernelH * g.kernelW;
    for (let n = 0; n < g.batch; n++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const row = ((n * g.outH + oy) * g.outW + ox) * patch;
          for (let c = 0; c < g.channels; c++) {
            for (let ky = 0; ky < g.kernelH; ky++) {
              for (let kx = 0; kx < g.kernelW; kx++) {
                const iy = oy * g.strideH - g.padH + ky;
                const ix = ox * g.strideW - g.padW + kx;
                const inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width;
                visit(row + (c * g.kernelH + ky) * g.kernelW + kx, inside ? ((n * g.channels + c) * g.height + iy) * g.width + ix : -1);
              }
            }
          }
        }
      }
    }
  }

  im2col(x: DataBuffer, cols: DataBuffer, g: WindowGeometry): void {
    const xs = buf(x);
    const cs = buf(cols);
    this.forEachPatchElement(g, (column, pixel) => { cs[column] = pixel < 0 ? 0 : xs[pixel]; });
  }

  col2im(cols: DataBuffer, dx: DataBuffer, g: WindowGeometry): void {
    const cs = buf(cols);
    const xs = buf(dx);
    xs.fill(0);
    this.forEachPatchElement(g, (column, pixel) => { if (pixel >= 0) xs[pixel] += cs[column]; });
  }

  /** Visits every output cell of a pooling window: (plane, outIndex, list of in-bounds input indices within the plane). */
  private forEachWindow(g: WindowGeometry, visit: (plane: number, outIndex: number, inputs: number[]) => void): void {
    const inputs: number[] = [];
    for (let plane = 0; plane < g.batch * g.channels; plane++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          inputs.length = 0;
          for (let ky = 0; ky < g.kernelH; ky++) {
            for (let kx = 0; kx < g.kernelW; kx++) {
              const iy = oy * g.strideH - g.padH + ky;
              const ix = ox * g.strideW - g.padW + kx;
              if (iy >= 0 && iy < g.height && ix >= 0 && ix < g.width) inputs.push(iy * g.width + ix);
            }
          }
          visit(plane, oy * g.outW + ox, inputs);
        }
      }
    }
  }

  maxPool(x: DataBuffer, out: DataBuffer, argmax: DataBuffer, g: WindowGeometry): void {
    const xs = buf(x);
    const ys = buf(out);
    const am = buf(argmax);
    const planeIn = g.height * g.width;
    const planeOut = g.outH * g.outW;
    this.forEachWindow(g, (plane, o, inputs) => {
      let best = inputs[0];
      for (const i of inputs) if (xs[plane * planeIn + i] > xs[plane * planeIn + best]) best = i;
      ys[plane * planeOut + o] = xs[plane * planeIn + best];
      am[plane * planeOut + o] = best;
    });
  }

  maxPoolBackward(dy: DataBuffer, argmax: DataBuffer, dx: DataBuffer, g: WindowGeometry): void {
    const dys = buf(dy);
    const am = buf(argmax);
    const dxs = buf(dx);
    dxs.fill(0);
    const planeIn = g.height * g.width;
    const planeOut = g.outH * g.outW;
    for (let plane = 0; plane < g.batch * g.channels; plane++) {
      for (let o = 0; o < planeOut; o++) dxs[plane * planeIn + am[plane * planeOut + o]] += dys[plane * planeOut + o];
    }
  }

  avgPool(x: DataBuffer, out: DataBuffer, g: WindowGeometry): void {
    const xs = buf(x);
    const ys = buf(out);
    const area = g.kernelH * g.kernelW;
    const planeIn = g.height * g.width;
    const planeOut = g.outH * g.outW;
    this.forEachWindow(g, (plane, o, inputs) => {
      let sum = 0;
      for (const i of inputs) sum += xs[plane * planeIn + i];
      ys[plane * planeOut + o] = sum / area;
    });
  }

  avgPoolBackward(dy: DataBuffer, dx: DataBuffer, g: WindowGeometry): void {
    const dys = buf(dy);
    const dxs = buf(dx);
    dxs.fill(0);
    const area = g.kernelH * g.kernelW;
    const planeIn = g.height * g.width;
    const planeOut = g.outH * g.outW;
    this.forEachWindow(g, (plane, o, inputs) => {
      for (const i of inputs) dxs[plane * planeIn + i] += dys[plane * planeOut + o] / area;
    });
  }

  softmax(x: DataBuffer, out: DataBuffer, rows: number, cols: number, log: boolean): void {
    const xs = buf(x);
    const ys = buf(out);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, xs[base + c]);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(xs[base + c] - max);
      const logSum = Math.log(sum);
      for (let c = 0; c < cols; c++) {
        ys[base + c] = log ? xs[base + c] - max - logSum : Math.exp(xs[base + c] - max) / sum;
      }
    }
  }

  softmaxBackward(y: DataBuffer, dy: DataBuffer, dx: DataBuffer, rows: number, cols: number, log: boolean): void {
    const ys = buf(y);
    const dys = buf(dy);
    const dxs = buf(dx);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += log ? dys[base + c] : dys[base + c] * ys[base + c];
      for (let c = 0; c < cols; c++) {
        dxs[base + c] = log
          ? dys[base + c] - Math.exp(ys[base + c]) * dot
          : ys[base + c] * (dys[base + c] - dot);
      }
    }
  }

  softmaxCrossEntropy(
    logits: DataBuffer, target: DataBuffer, sparse: boolean, losses: DataBuffer, probs: DataBuffer, rows: number, cols: number,
  ): void {
    this.softmax(logits, probs, rows, cols, false);
    const xs = buf(logits);
    const ts = buf(target);
    const ls = buf(losses);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, xs[base + c]);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(xs[base + c] - max);
      const logSum = Math.log(sum) + max;
      if (sparse) {
        ls[r] = logSum - xs[base + ts[r]];
      } else {
        let loss = 0;
        for (let c = 0; c < cols; c++) loss += ts[base + c] * (logSum - xs[base + c]);
        ls[r] = loss;
      }
    }
  }

  /** Calls `visit(index)` for the flat index of every value of `channel` in (batch, channels, spatial). */
  private forEachInChannel(g: BatchNormGeometry, channel: number, visit: (index: number) => void): void {
    for (let n = 0; n < g.batch; n++) {
      const base = (n * g.channels + channel) * g.spatial;
      for (let s = 0; s < g.spatial; s++) visit(base + s);
    }
  }

  convEpilogue(flat: DataBuffer, bias: DataBuffer | null, out: DataBuffer, g: ConvOutputGeometry, relu: boolean): void {
    const [fs, os] = [buf(flat), buf(out)];
    const bs = bias ? buf(bias) : null;
    for (let n = 0; n < g.batch; n++) {
      for (let c = 0; c < g.channels; c++) {
        for (let s = 0; s < g.spatial; s++) {
          const v = fs[(n * g.spatial + s) * g.channels + c] + (bs ? bs[c] : 0);
          os[(n * g.channels + c) * g.spatial + s] = relu ? Math.max(v, 0) : v;
        }
      }
    }
  }

  winogradWeights(w: DataBuffer, u: DataBuffer, outChannels: number, inChannels: number): void {
    const [ws, us] = [buf(w), buf(u)];
    const pairs = outChannels * inChannels;
    const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
    for (let p = 0; p < pairs; p++) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          let s = 0; // (G g G^T)[i][j]
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s += G[i][a] * ws[p * 9 + a * 3 + b] * G[j][b];
          us[(i * 4 + j) * pairs + p] = s;
        }
      }
    }
  }

  winogradConv(x: DataBuffer, u: DataBuffer, bias: DataBuffer | null, out: DataBuffer, g: WindowGeometry, outChannels: number, relu: boolean,
    inputTiles?: DataBuffer): void {
    // The reference computes the same F(2x2, 3x3) algorithm in float64, tile by tile.
    const [xs, us, os] = [buf(x), buf(u), buf(out)];
    const vs = inputTiles ? buf(inputTiles) : null;
    const tilesW = Math.ceil(g.outW / 2);
    const tiles = g.batch * Math.ceil(g.outH / 2) * tilesW;
    const stride = winogradTileStride(tiles, g.channels, outChannels); // V is (16, C, T'), zero past the tiles
    if (vs) vs.fill(0);
    const bs = bias ? buf(bias) : null;
    const BT = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]];
    const AT = [[1, 1, 1, 0], [0, 1, -1, -1]];
    const pairs = outChannels * g.channels;
    const pixel = (n: number, c: number, y: number, x0: number) =>
      y >= 0 && y < g.height && x0 >= 0 && x0 < g.width ? xs[((n * g.channels + c) * g.height + y) * g.width + x0] : 0;
    for (let n = 0; n < g.batch; n++) {
      for (let ty = 0; ty < g.outH; ty += 2) {
        for (let tx = 0; tx < g.outW; tx += 2) {
          const v: number[][] = []; // v[c][k] = (B^T d B)[k]
          for (let c = 0; c < g.channels; c++) {
            const d = (i: number, j: number) => pixel(n, c, ty - g.padH + i, tx - g.padW + j);
            const row: number[] = [];
            for (let i = 0; i < 4; i++) {
              for (let j = 0; j < 4; j++) {
                let s = 0;
                for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) s += BT[i][a] * d(a, b) * BT[j][b];
                row.push(s);
              }
            }
            v.push(row);
            const t = n * (tiles / g.batch) + (ty / 2) * tilesW + tx / 2;
            if (vs) for (let k = 0; k < 16; k++) vs[(k * g.channels + c) * stride + t] = row[k];
          }
          for (let o = 0; o < outChannels; o++) {
            const m: number[] = [];
            for (let k = 0; k < 16; k++) {
              let s = 0;
              for (let c = 0; c < g.channels; c++) s += us[k * pairs + o * g.channels + c] * v[c][k];
              m.push(s);
            }
            for (let i = 0; i < 2; i++) {
              for (let j = 0; j < 2; j++) {
                if (ty + i >= g.outH || tx + j >= g.outW) continue;
                let s = bs ? bs[o] : 0;
                for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) s += AT[i][a] * m[a * 4 + b] * AT[j][b];
                os[((n * outChannels + o) * g.outH + ty + i) * g.outW + tx + j] = relu ? Math.max(s, 0) : s;
              }
            }
          }
        }
      }
    }
  }

  /** Calls `visit(outIndex, inputIndex, weightIndex)` for every multiply of a stride-1 convolution (padding skipped). */
  private forEachConvTap(g: WindowGeometry, outChannels: number, visit: (o: number, i: number, w: number) => void): void {
    for (let n = 0; n < g.batch; n++) {
      for (let o = 0; o < outChannels; o++) {
        for (let y = 0; y < g.outH; y++) {
          for (let x = 0; x < g.outW; x++) {
            const outIndex = ((n * outChannels + o) * g.outH + y) * g.outW + x;
            for (let c = 0; c < g.channels; c++) {
              for (let i = 0; i < g.kernelH; i++) {
                const iy = y + i - g.padH;
                if (iy < 0 || iy >= g.height) continue;
                for (let j = 0; j < g.kernelW; j++) {
                  const ix = x + j - g.padW;
                  if (ix < 0 || ix >= g.width) continue;
                  visit(outIndex, ((n * g.channels + c) * g.height + iy) * g.width + ix, ((o * g.channels + c) * g.kernelH + i) * g.kernelW + j);
                }
              }
            }
          }
        }
      }
    }
  }

  convDirect(x: DataBuffer, weight: DataBuffer, bias: DataBuffer | null, out: DataBuffer, g: WindowGeometry, outChannels: number, relu: boolean): void {
    const [xs, ws, os] = [buf(x), buf(weight), buf(out)];
    const bs = bias ? buf(bias) : null;
    const spatial = g.outH * g.outW;
    for (let i = 0; i < os.length; i++) os[i] = bs ? bs[Math.floor(i / spatial) % outChannels] : 0;
    this.forEachConvTap(g, outChannels, (o, i, w) => { os[o] += xs[i] * ws[w]; });
    if (relu) for (let i = 0; i < os.length; i++) os[i] = Math.max(os[i], 0);
  }

  convDirectBackwardFilter(x: DataBuffer, dy: DataBuffer, y: DataBuffer | null, dweight: DataBuffer | null,
    dbias: DataBuffer | null, g: WindowGeometry, outChannels: number): void {
    const [xs, ds] = [buf(x), buf(dy)];
    const ys = y ? buf(y) : null;
    const grad = (i: number) => (ys && !(ys[i] > 0) ? 0 : ds[i]);
    if (dweight) {
      const dw = buf(dweight);
      dw.fill(0);
      this.forEachConvTap(g, outChannels, (o, i, w) => { dw[w] += grad(o) * xs[i]; });
    }
    if (dbias) {
      const db = buf(dbias);
      db.fill(0);
      const spatial = g.outH * g.outW;
      for (let i = 0; i < ds.length; i++) db[Math.floor(i / spatial) % outChannels] += grad(i);
    }
  }

  winogradConvBackward(dy: DataBuffer, y: DataBuffer | null, u: DataBuffer, inputTiles: DataBuffer | null, dx: DataBuffer | null,
    dw: DataBuffer | null, planeSums: DataBuffer | null, g: WindowGeometry, outChannels: number): void {
    const data = (b: DataBuffer | null) => (b ? buf(b) : null);
    winogradConvBackward(buf(dy), data(y), buf(u), data(inputTiles), data(dx), data(dw), data(planeSums), g, outChannels);
  }

  convEpilogueBackward(dy: DataBuffer, y: DataBuffer | null, dflat: DataBuffer, g: ConvOutputGeometry, dbias: DataBuffer | null = null): void {
    const [ds, fs] = [buf(dy), buf(dflat)];
    const ys = y ? buf(y) : null;
    const sums = new Float64Array(g.channels);
    for (let n = 0; n < g.batch; n++) {
      for (let c = 0; c < g.channels; c++) {
        for (let s = 0; s < g.spatial; s++) {
          const i = (n * g.channels + c) * g.spatial + s;
          const v = ys && !(ys[i] > 0) ? 0 : ds[i];
          fs[(n * g.spatial + s) * g.channels + c] = v;
          sums[c] += v;
        }
      }
    }
    if (dbias) buf(dbias).set(sums);
  }

  batchNormForward(x: DataBuffer, weight: DataBuffer | null, bias: DataBuffer | null, mean: DataBuffer, variance: DataBuffer,
    invStd: DataBuffer, y: DataBuffer, g: BatchNormGeometry, training: boolean, eps: number, relu = false): void {
    const [xs, ys, ms, vs, is] = [buf(x), buf(y), buf(mean), buf(variance), buf(invStd)];
    const count = g.batch * g.spatial;
    for (let c = 0; c < g.channels; c++) {
      if (training) {
        let sum = 0;
        this.forEachInChannel(g, c, (i) => { sum += xs[i]; });
        const m = sum / count;
        let squares = 0;
        this.forEachInChannel(g, c, (i) => { squares += (xs[i] - m) ** 2; });
        ms[c] = m;
        vs[c] = squares / count;
      }
      is[c] = 1 / Math.sqrt(vs[c] + eps);
      const scale = is[c] * (weight ? buf(weight)[c] : 1);
      const shift = bias ? buf(bias)[c] : 0;
      this.forEachInChannel(g, c, (i) => {
        const v = (xs[i] - ms[c]) * scale + shift;
        ys[i] = relu && !(v > 0) ? 0 : v;
      });
    }
  }

  batchNormBackward(x: DataBuffer, dy: DataBuffer, mean: DataBuffer, invStd: DataBuffer, weight: DataBuffer | null,
    dx: DataBuffer | null, dweight: DataBuffer | null, dbias: DataBuffer | null, g: BatchNormGeometry, training: boolean,
    reluOutput: DataBuffer | null = null): void {
    const [xs, ms, is] = [buf(x), buf(mean), buf(invStd)];
    const ys = reluOutput ? buf(reluOutput) : null;
    const dys = ys ? buf(dy).map((v, i) => (ys[i] > 0 ? v : 0)) : buf(dy); // the fused ReLU's backward first
    const count = g.batch * g.spatial;
    for (let c = 0; c < g.channels; c++) {
      let sumDy = 0;
      let sumDyXhat = 0;
      this.forEachInChannel(g, c, (i) => {
        sumDy += dys[i];
        sumDyXhat += dys[i] * (xs[i] - ms[c]) * is[c];
      });
      if (dweight) buf(dweight)[c] = sumDyXhat;
      if (dbias) buf(dbias)[c] = sumDy;
      if (!dx) continue;
      const dxs = buf(dx);
      const w = weight ? buf(weight)[c] : 1;
      this.forEachInChannel(g, c, (i) => {
        const xhat = (xs[i] - ms[c]) * is[c];
        dxs[i] = training
          ? (is[c] / count) * (w * dys[i] * count - w * sumDy - xhat * w * sumDyXhat)
          : w * is[c] * dys[i];
      });
    }
  }

  adamStep(param: DataBuffer, grad: DataBuffer, m: DataBuffer, v: DataBuffer, p: AdamParams): void {
    const ps = buf(param);
    const gs = buf(grad);
    const ms = buf(m);
    const vs = buf(v);
    const correction1 = 1 - p.beta1 ** p.step;
    const correction2 = 1 - p.beta2 ** p.step;
    for (let i = 0; i < ps.length; i++) {
      if (p.decoupledWeightDecay !== 0) ps[i] -= p.lr * p.decoupledWeightDecay * ps[i];
      const g = gs[i] + p.weightDecay * ps[i];
      ms[i] = p.beta1 * ms[i] + (1 - p.beta1) * g;
      vs[i] = p.beta2 * vs[i] + (1 - p.beta2) * g * g;
      const mHat = ms[i] / correction1;
      const vHat = vs[i] / correction2;
      ps[i] -= (p.lr * mHat) / (Math.sqrt(vHat) + p.eps);
    }
  }

  adamStepMany(tensors: readonly AdamSlots[], p: AdamParams): void {
    for (const t of tensors) this.adamStep(t.param, t.grad, t.m, t.v, p);
  }

  sgdStep(param: DataBuffer, grad: DataBuffer, velocity: DataBuffer, p: SgdParams): void {
    const ps = buf(param);
    const gs = buf(grad);
    const vs = buf(velocity);
    for (let i = 0; i < ps.length; i++) {
      const g = gs[i] + p.weightDecay * ps[i];
      if (p.momentum === 0) {
        ps[i] -= p.lr * g;
        continue;
      }
      vs[i] = p.momentum * vs[i] + g;
      ps[i] -= p.lr * (p.nesterov ? g + p.momentum * vs[i] : vs[i]);
    }
  }
}
