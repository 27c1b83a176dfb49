// The float64 reference of the Winograd training backward (Backend.winogradConvBackward): the adjoints of
// winogradConv's transforms computed tile by tile, as the cpu backend's winogradConv computes the forward.
import type { WindowGeometry } from '../backend.js';
import { winogradTileStride } from '../winograd-layout.js';

/** Overwrites dx, dw and planeSums (each skipped when null) from dy (masked where ys <= 0 when given), U and V (16, C, T'). */
export function winogradConvBackward(dys: Float64Array, ys: Float64Array | null, us: Float64Array, inputTiles: Float64Array | null,
  dx: Float64Array | null, dw: Float64Array | null, planeSums: Float64Array | null, g: WindowGeometry, outChannels: number): void {
  // dM = A dy A^T per tile, dU = dM V^T, dV = U^T dM, dw = G^T dU G, dx = the sum of B dV B^T over the tiles' windows.
  const C = g.channels;
  const tilesH = Math.ceil(g.outH / 2);
  const tilesW = Math.ceil(g.outW / 2);
  const perImage = tilesH * tilesW;
  const tiles = g.batch * perImage;
  const AT = [[1, 1, 1, 0], [0, 1, -1, -1]];
  const BT = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]];
  const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
  const dm = new Float64Array(16 * outChannels * tiles); // (16, O, T)
  const sums = planeSums;
  for (let n = 0; n < g.batch; n++) {
    for (let o = 0; o < outChannels; o++) {
      let total = 0;
      for (let t = 0; t < perImage; t++) {
        const [ty, tx] = [2 * Math.floor(t / tilesW), 2 * (t % tilesW)];
        const grad = (i: number, j: number) => {
          if (ty + i >= g.outH || tx + j >= g.outW) return 0;
          const at = ((n * outChannels + o) * g.outH + ty + i) * g.outW + tx + j;
          return ys && !(ys[at] > 0) ? 0 : dys[at];
        };
        for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) total += grad(i, j);
        for (let k = 0; k < 16; k++) {
          let s = 0;
          for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) s += AT[a][k >> 2] * grad(a, b) * AT[b][k & 3];
          dm[(k * outChannels + o) * tiles + n * perImage + t] = s;
        }
      }
      if (sums) sums[n * outChannels + o] = total;
    }
  }
  if (dw) {
    if (!inputTiles) throw new Error('winogradConvBackward: the weight gradient needs the input tiles the forward pass kept');
    const [vs, dws] = [inputTiles, dw];
    const stride = winogradTileStride(tiles, C, outChannels);
    for (let o = 0; o < outChannels; o++) {
      for (let c = 0; c < C; c++) {
        const du: number[] = [];
        for (let k = 0; k < 16; k++) {
          let s = 0;
          for (let t = 0; t < tiles; t++) s += dm[(k * outChannels + o) * tiles + t] * vs[(k * C + c) * stride + t];
          du.push(s);
        }
        for (let a = 0; a < 3; a++) {
          for (let b = 0; b < 3; b++) {
            let s = 0;
            for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) s += G[i][a] * du[i * 4 + j] * G[j][b];
            dws[((o * C + c) * 3 + a) * 3 + b] = s;
          }
        }
      }
    }
  }
  if (dx) {
    const dxs = dx;
    dxs.fill(0);
    for (let n = 0; n < g.batch; n++) {
      for (let c = 0; c < C; c++) {
        for (let t = 0; t < perImage; t++) {
          const [y0, x0] = [2 * Math.floor(t / tilesW) - g.padH, 2 * (t % tilesW) - g.padW];
          const dv: number[] = [];
          for (let k = 0; k < 16; k++) {
            let s = 0;
            for (let o = 0; o < outChannels; o++) s += us[(k * outChannels + o) * C + c] * dm[(k * outChannels + o) * tiles + n * perImage + t];
            dv.push(s);
          }
          for (let a = 0; a < 4; a++) {
            for (let b = 0; b < 4; b++) {
              const [yy, xx] = [y0 + a, x0 + b];
              if (yy < 0 || yy >= g.height || xx < 0 || xx >= g.width) continue;
              let s = 0;
              for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) s += BT[i][a] * dv[i * 4 + j] * BT[j][b];
              dxs[((n * C + c) * g.height + yy) * g.width + xx] += s;
            }
          }
        }
      }
    }
  }
}
