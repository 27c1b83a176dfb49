// The drawing pad: pointer events (mouse, touch and pen alike) draw round strokes of dark ink on a
// white canvas; `onChange` fires while drawing (once per animation frame) and `onStroke` after each stroke.

export interface PadEvents {
  onChange(): void;
  onStroke(): void;
}

export class DrawingPad {
  private readonly context: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private pending = false;
  /** True once something was drawn since the last clear. */
  dirty = false;

  constructor(readonly canvas: HTMLCanvasElement, private readonly events: PadEvents) {
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('this browser has no 2D canvas');
    this.context = context;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
  }

  clear(): void {
    this.context.fillStyle = '#fff';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.dirty = false;
  }

  /** The pixels as RGBA bytes. */
  image(): ImageData {
    return this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - box.left) * this.canvas.width) / box.width, y: ((e.clientY - box.top) * this.canvas.height) / box.height };
  }

  private down(e: PointerEvent): void {
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.last = this.point(e);
    this.segment(this.last, this.last);
  }

  private move(e: PointerEvent): void {
    if (!this.last) return;
    const p = this.point(e);
    this.segment(this.last, p);
    this.last = p;
  }

  private up(e: PointerEvent): void {
    if (!this.last) return;
    this.move(e);
    this.last = null;
    this.events.onStroke();
  }

  private segment(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const c = this.context;
    c.strokeStyle = '#111';
    c.lineWidth = this.canvas.width / 14;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(to.x, to.y);
    c.stroke();
    this.dirty = true;
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.events.onChange();
      });
    }
  }
}
