// Synthetic handwriting for the page's tests and measurements: one pen-stroke template per digit,
// varied per example (scale, shift, rotation, jitter) by a seeded generator, in a chosen style:
// 'plain' (the base model reads it), 'mirrored' (left-right flipped, which it reads poorly) or
// 'slanted' (a strong forward slant). Points are fractions (0-1) of the pad.
import type { Stroke } from '../../src/data/strokes.js';

export type HandStyle = 'plain' | 'mirrored' | 'slanted';

const TEMPLATES: readonly (readonly Stroke[])[] = [
  // 0: an ellipse
  [Array.from({ length: 17 }, (_, i) => [0.5 + 0.2 * Math.sin((2 * Math.PI * i) / 16), 0.5 - 0.33 * Math.cos((2 * Math.PI * i) / 16)] as const)],
  // 1
  [[[0.42, 0.24], [0.52, 0.14], [0.52, 0.86]]],
  // 2
  [[[0.28, 0.3], [0.35, 0.18], [0.5, 0.14], [0.65, 0.18], [0.71, 0.3], [0.66, 0.45], [0.3, 0.85], [0.75, 0.85]]],
  // 3
  [[[0.28, 0.2], [0.45, 0.14], [0.64, 0.18], [0.69, 0.3], [0.61, 0.43], [0.45, 0.48], [0.64, 0.54], [0.71, 0.68], [0.63, 0.82], [0.45, 0.86], [0.27, 0.8]]],
  // 4
  [[[0.58, 0.14], [0.26, 0.6], [0.78, 0.6]], [[0.6, 0.34], [0.6, 0.88]]],
  // 5
  [[[0.7, 0.15], [0.36, 0.15], [0.32, 0.45], [0.5, 0.41], [0.67, 0.49], [0.72, 0.65], [0.63, 0.81], [0.45, 0.86], [0.28, 0.8]]],
  // 6
  [[[0.66, 0.15], [0.46, 0.28], [0.34, 0.48], [0.3, 0.67], [0.38, 0.83], [0.52, 0.87], [0.66, 0.8], [0.7, 0.66], [0.62, 0.54], [0.48, 0.51], [0.34, 0.6]]],
  // 7
  [[[0.25, 0.18], [0.72, 0.18], [0.42, 0.86]]],
  // 8
  [[[0.63, 0.25], [0.5, 0.14], [0.37, 0.21], [0.37, 0.35], [0.5, 0.47], [0.65, 0.58], [0.66, 0.74], [0.52, 0.86], [0.36, 0.78], [0.35, 0.62], [0.5, 0.47], [0.62, 0.38], [0.63, 0.25]]],
  // 9
  [[[0.66, 0.3], [0.55, 0.16], [0.4, 0.18], [0.34, 0.32], [0.42, 0.45], [0.58, 0.44], [0.66, 0.3], [0.64, 0.55], [0.58, 0.86]]],
];

/** mulberry32: a small seeded generator, so examples are the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Digit `digit` drawn once in `style`, varied by `random` (uniform 0-1). */
export function handwrittenDigit(digit: number, style: HandStyle, random: () => number): Stroke[] {
  const template = TEMPLATES[digit];
  if (!template) throw new Error(`no template for digit ${digit}`);
  const u = (span: number) => (random() * 2 - 1) * span;
  const scale = 1 + u(0.1);
  const angle = (u(8) * Math.PI) / 180;
  const [dx, dy] = [u(0.05), u(0.05)];
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return template.map((stroke) => stroke.map(([x0, y0]) => {
    let x = x0 - 0.5 + u(0.012);
    const y = y0 - 0.5 + u(0.012);
    if (style === 'mirrored') x = -x;
    if (style === 'slanted') x -= 0.55 * y;
    return [0.5 + scale * (cos * x - sin * y) + dx, 0.5 + scale * (sin * x + cos * y) + dy] as const;
  }));
}

/** `perClass` examples of every digit in `style`, class by class: [{ digit, strokes }]. */
export function handwrittenSet(style: HandStyle, perClass: number, seed: number): { digit: number; strokes: Stroke[] }[] {
  const random = seeded(seed);
  const out: { digit: number; strokes: Stroke[] }[] = [];
  for (let i = 0; i < perClass; i++) for (let digit = 0; digit < 10; digit++) out.push({ digit, strokes: handwrittenDigit(digit, style, random) });
  return out;
}

/** A scribble that is no digit: one of a few kinds (zigzag, hatching, spiral, scattered dashes, random walk). */
export function scribble(random: () => number): Stroke[] {
  const point = (): [number, number] => [0.12 + 0.76 * random(), 0.12 + 0.76 * random()];
  const kind = Math.floor(random() * 5);
  if (kind === 0) { // zigzag across the pad
    const n = 5 + Math.floor(random() * 5);
    const top = 0.15 + 0.2 * random();
    const bottom = 0.65 + 0.2 * random();
    return [Array.from({ length: n }, (_, i) => [0.12 + (0.76 * i) / (n - 1), i % 2 === 0 ? top : bottom] as const)];
  }
  if (kind === 1) { // hatching: parallel strokes
    const n = 3 + Math.floor(random() * 4);
    const slope = random() * 0.6 - 0.3;
    return Array.from({ length: n }, (_, i) => {
      const y = 0.15 + (0.7 * i) / (n - 1);
      return [[0.15, y - slope / 2], [0.85, y + slope / 2]] as const;
    }).map((s) => [...s]);
  }
  if (kind === 2) { // spiral
    const turns = 2 + random() * 2;
    return [Array.from({ length: 60 }, (_, i) => {
      const t = i / 59;
      const r = 0.05 + 0.32 * t;
      const a = 2 * Math.PI * turns * t;
      return [0.5 + r * Math.cos(a), 0.5 + r * Math.sin(a)] as const;
    })];
  }
  if (kind === 3) { // scattered dashes
    return Array.from({ length: 4 + Math.floor(random() * 5) }, () => {
      const [x, y] = point();
      const a = random() * Math.PI;
      return [[x, y], [x + 0.12 * Math.cos(a), y + 0.12 * Math.sin(a)]] as const;
    }).map((s) => [...s]);
  }
  return [Array.from({ length: 8 + Math.floor(random() * 8) }, point)]; // random walk
}
