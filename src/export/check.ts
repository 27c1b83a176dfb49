// Checks an exported ONNX file against zerograd: runs both on the same pixels (onnxruntime-node,
// an optional dev dependency, loaded only here) and reports the largest probability difference.
import { UsageError } from '../errors.js';
import type { DigitClassifier } from '../serve/classifier.js';
import { ONNX_INPUT, ONNX_OUTPUT } from './onnx.js';

/** Result of a comparison. */
export interface OnnxCheck {
  examples: number;
  maxAbsDiff: number;
  /** Examples whose arg-max class differs. */
  labelMismatches: number;
}

interface OrtModule {
  InferenceSession: { create(bytes: Uint8Array): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { data: ArrayLike<number> }>> }> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
}

/** Runs `onnx` in onnxruntime and `classifier` on (count * features) pixels 0-1; compares the probabilities. */
export async function checkOnnx(onnx: Uint8Array, classifier: DigitClassifier, pixels: Float32Array): Promise<OnnxCheck> {
  let ort: OrtModule;
  try {
    ort = (await import('onnxruntime-node' as string)) as OrtModule;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new UsageError('--check runs the file in onnxruntime-node, an optional peer dependency of zerograd that is not installed: '
        + 'npm install onnxruntime-node (the ONNX file itself was written; drop --check to skip the comparison)');
    }
    throw new UsageError(`--check: onnxruntime-node is installed but failed to load (${(err as Error).message})`);
  }
  const count = pixels.length / classifier.features;
  const session = await ort.InferenceSession.create(onnx);
  const result = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', pixels, [count, ...classifier.inputShape]) });
  const theirs = result[ONNX_OUTPUT].data;
  const ours = classifier.probabilities(pixels);
  if (theirs.length !== ours.length) throw new Error(`ONNX output has ${theirs.length} values, zerograd's ${ours.length}`);
  const classes = ours.length / count;
  let maxAbsDiff = 0;
  let labelMismatches = 0;
  for (let r = 0; r < count; r++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < classes; c++) {
      const i = r * classes + c;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ours[i] - theirs[i]));
      if (ours[i] > ours[r * classes + a]) a = c;
      if (theirs[i] > theirs[r * classes + b]) b = c;
    }
    if (a !== b) labelMismatches++;
  }
  return { examples: count, maxAbsDiff, labelMismatches };
}
