// The live fine-tuning chart: loss (left scale, log) and batch accuracy (right scale, 0-100%) per step,
// drawn on a canvas as the worker reports them.

export class TrainingChart {
  private readonly losses: number[] = [];
  private readonly accuracies: number[] = [];
  private totalSteps = 1;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.clear();
  }

  clear(totalSteps = 1): void {
    this.losses.length = 0;
    this.accuracies.length = 0;
    this.totalSteps = Math.max(1, totalSteps);
    this.draw();
  }

  add(loss: number, accuracy: number, totalSteps: number): void {
    this.totalSteps = Math.max(1, totalSteps);
    this.losses.push(loss);
    this.accuracies.push(accuracy);
    this.draw();
  }

  private draw(): void {
    const c = this.canvas.getContext('2d');
    if (!c) return;
    const { width, height } = this.canvas;
    const pad = { left: 34, right: 34, top: 8, bottom: 16 };
    const w = width - pad.left - pad.right;
    const h = height - pad.top - pad.bottom;
    c.fillStyle = '#fff';
    c.fillRect(0, 0, width, height);
    c.strokeStyle = '#ddd';
    c.strokeRect(pad.left, pad.top, w, h);
    c.font = '10px system-ui, sans-serif';
    c.fillStyle = '#555';
    const x = (i: number) => pad.left + (w * (i + 1)) / this.totalSteps;
    const finite = this.losses.filter((v) => v > 0 && Number.isFinite(v));
    const hi = Math.log10(Math.max(...finite, 1e-3));
    const lo = Math.min(Math.log10(Math.min(...finite, 1)), hi - 1);
    const yLoss = (v: number) => pad.top + (h * (hi - Math.log10(Math.max(v, 1e-6)))) / (hi - lo);
    const yAcc = (a: number) => pad.top + h * (1 - a);
    c.fillText(`loss ${(10 ** hi).toPrecision(2)}`, 2, pad.top + 8);
    c.fillText((10 ** lo).toPrecision(1), 2, pad.top + h);
    c.fillText('100%', width - pad.right + 4, pad.top + 8);
    c.fillText('acc', width - pad.right + 4, pad.top + h);
    c.fillText(`step ${this.losses.length} / ${this.totalSteps}`, pad.left, height - 3);
    const line = (values: number[], y: (v: number) => number, color: string) => {
      if (values.length === 0) return;
      c.strokeStyle = color;
      c.lineWidth = 1.5;
      c.beginPath();
      values.forEach((v, i) => (i === 0 ? c.moveTo(x(i), y(v)) : c.lineTo(x(i), y(v))));
      c.stroke();
    };
    line(this.losses, yLoss, '#c0392b');
    line(this.accuracies, yAcc, '#2c5fd6');
  }
}
