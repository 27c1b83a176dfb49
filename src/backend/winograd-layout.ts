// The tile dimension of the Winograd buffers (V (16, C, T'), M (16, T', O), dM (16, O, T')): the tile count T padded
// to T' so that the 16 matrices do not start at addresses 4 KiB apart. Their transforms stream through all 16 at once,
// and 16 streams on one cache set thrashed L1: the small CNN's dy transform took 1.6 ms at batch 64 (T = 1600) and
// 0.6 ms at batch 63 (Node 26, one thread). Padded tiles are zero in V and dM; the kernels never read them elsewhere.

const CACHE_LINE = 64;
const SETS = 64; // 4 KiB of addresses map onto the L1's sets (64-byte lines, 64 sets, like x86 and most ARM cores)

/** Most of the 16 matrices (rows of X floats per tile) whose starts share one cache set, for T' tiles. */
function crowding(tilesPadded: number, rowsPerK: number): number {
  const counts = new Map<number, number>();
  let worst = 0;
  for (let k = 0; k < 16; k++) {
    const set = Math.floor((k * rowsPerK * tilesPadded * 4) / CACHE_LINE) % SETS;
    const count = (counts.get(set) ?? 0) + 1;
    counts.set(set, count);
    worst = Math.max(worst, count);
  }
  return worst;
}

/** T' >= tiles for C input and O output channels: the first with at most 2 of the 16 matrices on one cache set. */
export function winogradTileStride(tiles: number, inChannels: number, outChannels: number): number {
  for (let padded = tiles; padded < tiles + 64; padded++) {
    if (crowding(padded, inChannels) <= 2 && crowding(padded, outChannels) <= 2) return padded;
  }
  return tiles;
}
