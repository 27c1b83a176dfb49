// Input adaptation layers for models pretrained on other images: Resize (bilinear, as PyTorch's
// F.interpolate with align_corners=False), RepeatChannels (gray -> 3 channels) and ChannelNormalize
// ((x - mean[c]) / std[c], e.g. ImageNet's statistics). All are made of differentiable ops (matmuls with
// fixed interpolation matrices, broadcasts), so gradients reach the input (saliency) and the layers sit
// inside a Sequential like any other.
import { ShapeError } from '../../errors.js';
import { tensor } from '../../ops/create.js';
import { matmul } from '../../ops/linalg.js';
import { expand, permute, reshape } from '../../ops/movement.js';
import { div, sub } from '../../ops/elementwise.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, type LayerConfig, type Shape } from '../module.js';

/**
 * (out, in) weights of 1-D linear interpolation from `inSize` to `outSize` samples, PyTorch's
 * align_corners=False convention: source = (i + 0.5) * in / out - 0.5, clamped at 0.
 */
export function interpolationMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const source = Math.max(0, (i + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(source), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const t = source - i0;
    m[i * inSize + i0] += 1 - t;
    m[i * inSize + i1] += t;
  }
  return m;
}

/** (B, C, H, W) -> (B, C, height, width), bilinear. */
export class Resize extends Module {
  private readonly matrices = new Map<string, Float32Array>();

  constructor(readonly height: number, readonly width: number = height) {
    super();
    for (const [name, v] of [['height', height], ['width', width]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ShapeError(`Resize: ${name} must be a positive integer, got ${v}`);
    }
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4) throw new ShapeError(`Resize: expects images (B, C, H, W), got ${formatShape(x.shape)}`);
    const [b, c, h, w] = x.shape;
    if (h === this.height && w === this.width) return x;
    const rows = tensor(this.matrix(h, this.height), { shape: [this.height, h] });
    const cols = tensor(this.matrix(w, this.width), { shape: [this.width, w] });
    const alongW = matmul(reshape(x, [b * c * h, w]), permute(cols, [1, 0])); // (B*C*H, W')
    const turned = permute(reshape(alongW, [b, c, h, this.width]), [0, 1, 3, 2]); // (B, C, W', H)
    const alongH = matmul(reshape(turned, [b * c * this.width, h]), permute(rows, [1, 0])); // (B*C*W', H')
    return permute(reshape(alongH, [b, c, this.width, this.height]), [0, 1, 3, 2]); // (B, C, H', W')
  }

  private matrix(inSize: number, outSize: number): Float32Array {
    const key = `${inSize}>${outSize}`;
    let m = this.matrices.get(key);
    if (!m) this.matrices.set(key, (m = interpolationMatrix(inSize, outSize)));
    return m;
  }

  outputShape(inputShape: Shape): number[] {
    if (inputShape.length !== 3) throw new ShapeError(`Resize: expects images (C, H, W), got ${formatShape(inputShape)}`);
    return [inputShape[0], this.height, this.width];
  }

  config(): LayerConfig {
    return { type: 'Resize', height: this.height, width: this.width };
  }
}

/** (B, 1, H, W) -> (B, channels, H, W): a gray image as `channels` equal ones (e.g. MNIST into an RGB model). */
export class RepeatChannels extends Module {
  constructor(readonly channels: number) {
    super();
    if (!Number.isInteger(channels) || channels < 1) throw new ShapeError(`RepeatChannels: channels must be a positive integer, got ${channels}`);
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== 1) throw new ShapeError(`RepeatChannels: expects one-channel images (B, 1, H, W), got ${formatShape(x.shape)}`);
    return expand(x, [x.shape[0], this.channels, x.shape[2], x.shape[3]]);
  }

  outputShape(inputShape: Shape): number[] {
    if (inputShape.length !== 3 || inputShape[0] !== 1) throw new ShapeError(`RepeatChannels: expects one-channel images (1, H, W), got ${formatShape(inputShape)}`);
    return [this.channels, inputShape[1], inputShape[2]];
  }

  config(): LayerConfig {
    return { type: 'RepeatChannels', channels: this.channels };
  }
}

/** (B, C, H, W) -> (x - mean[c]) / std[c] per channel, with fixed statistics (no parameters). */
export class ChannelNormalize extends Module {
  readonly mean: readonly number[];
  readonly std: readonly number[];

  constructor(mean: readonly number[], std: readonly number[]) {
    super();
    if (mean.length === 0 || mean.length !== std.length) throw new ShapeError(`ChannelNormalize: mean and std need one value per channel, got ${mean.length} and ${std.length}`);
    if (!mean.every(Number.isFinite) || !std.every((v) => Number.isFinite(v) && v > 0)) throw new ShapeError('ChannelNormalize: means must be finite and standard deviations positive');
    this.mean = [...mean];
    this.std = [...std];
  }

  forward(x: Tensor): Tensor {
    const c = this.mean.length;
    if (x.rank !== 4 || x.shape[1] !== c) throw new ShapeError(`ChannelNormalize: expects (B, ${c}, H, W), got ${formatShape(x.shape)}`);
    return div(sub(x, tensor([...this.mean], { shape: [1, c, 1, 1] })), tensor([...this.std], { shape: [1, c, 1, 1] }));
  }

  outputShape(inputShape: Shape): number[] {
    if (inputShape[0] !== this.mean.length) throw new ShapeError(`ChannelNormalize: expects ${this.mean.length} channels, got ${formatShape(inputShape)}`);
    return [...inputShape];
  }

  config(): LayerConfig {
    return { type: 'ChannelNormalize', mean: [...this.mean], std: [...this.std] };
  }
}
