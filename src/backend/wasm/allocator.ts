// Buffer allocator over the shared WebAssembly.Memory: a bump pointer plus free lists keyed by size class,
// so a training loop that frees and reallocates the same shapes every step reuses blocks and RSS stays flat.
// Classes are multiples of 16 bytes (4 steps per power of two, <= 25% waste); blocks are never split or merged.

const PAGE = 65536;
const MIN_CLASS = 64;

/** Bytes actually reserved for a request of `bytes`. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS) return MIN_CLASS;
  const power = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = power / 4;
  return Math.ceil(bytes / step) * step;
}

export class Allocator {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  private liveBytes = 0;

  /** `start` is the first byte the allocator may hand out (aligned to 16). */
  constructor(private readonly memory: WebAssembly.Memory, start: number, private readonly onGrow: () => void) {
    this.top = Math.ceil(start / 16) * 16;
  }

  /** Returns the byte offset of a block of at least `bytes` (16-byte aligned), and whether it was used before. */
  alloc(bytes: number): { ptr: number; reused: boolean; reserved: number } {
    const reserved = sizeClass(bytes);
    const list = this.freeLists.get(reserved);
    this.liveBytes += bytes;
    if (list !== undefined && list.length > 0) return { ptr: list.pop() as number, reused: true, reserved };
    const ptr = this.top;
    this.ensure(ptr + reserved, bytes);
    this.top = ptr + reserved;
    return { ptr, reused: false, reserved };
  }

  free(ptr: number, bytes: number, reserved: number): void {
    this.liveBytes -= bytes;
    let list = this.freeLists.get(reserved);
    if (list === undefined) {
      list = [];
      this.freeLists.set(reserved, list);
    }
    list.push(ptr);
  }

  /** Bytes held by live buffers (as requested, before rounding to a size class). */
  get live(): number {
    return this.liveBytes;
  }

  /** Highest byte ever handed out: the footprint of the heap. */
  get reservedTop(): number {
    return this.top;
  }

  private ensure(end: number, requested: number): void {
    const size = this.memory.buffer.byteLength;
    if (end <= size) return;
    // Grow by at least 25% so repeated small growths stay rare.
    const needed = Math.ceil((end - size) / PAGE);
    const pages = Math.max(needed, Math.ceil(size / PAGE / 4));
    try {
      this.memory.grow(pages);
    } catch {
      try {
        this.memory.grow(needed);
      } catch {
        throw new RangeError(
          `wasm backend: out of memory allocating ${requested} bytes (heap ${size} bytes, ${this.liveBytes} live); ` +
          'free unused tensors or raise maxMemoryMB',
        );
      }
    }
    this.onGrow();
  }
}
