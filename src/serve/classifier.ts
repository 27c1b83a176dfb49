// DigitClassifier: a loaded model plus its preprocessing, answering "which class is this image?"
// for batches of MNIST-style pixels (0 = background, 1 = ink). Browser-safe: no Node imports,
// so the CLI, the HTTP server and the web page share it.
import type { Normalization } from '../data/dataset.js';
import { normalizeUnit } from '../data/normalize.js';
import { ShapeError } from '../errors.js';
import { logitsOf } from '../train/evaluate.js';
import type { ClassifierModule } from '../train/types.js';
import { tensor } from '../ops/create.js';
import '../ops/methods.js'; // Tensor methods used here: softmax
import { noGrad, scope } from '../tensor/engine.js';

/** What the classifier needs from a saved model's config.json. */
export interface ClassifierConfig {
  inputShape: readonly number[];
  preprocessing: { normalization: Normalization };
  classNames: readonly string[];
}

/** One answer: the best class and every class's probability. */
export interface Prediction {
  /** Index of the most probable class. */
  label: number;
  /** Its name (e.g. '7'). */
  className: string;
  /** (classes) softmax probabilities. */
  probabilities: number[];
}

/** A class index with its probability, best first. */
export interface Ranked {
  label: number;
  className: string;
  probability: number;
}

export class DigitClassifier {
  /** Values per example, e.g. 784. */
  readonly features: number;
  readonly classNames: readonly string[];
  readonly normalization: Normalization;
  readonly inputShape: readonly number[];

  constructor(readonly model: ClassifierModule, config: ClassifierConfig) {
    this.inputShape = [...config.inputShape];
    this.features = this.inputShape.reduce((p, d) => p * d, 1);
    this.classNames = [...config.classNames];
    this.normalization = config.preprocessing.normalization;
    model.eval();
  }

  /** Model inputs for (count, features) pixels 0-1: the saved normalization applied. */
  normalize(pixels: Float32Array): Float32Array {
    return normalizeUnit(pixels, this.normalization);
  }

  /** (count * features) pixels 0-1 -> (count * classes) probabilities, row-major. */
  probabilities(pixels: Float32Array): Float32Array {
    const count = this.countOf(pixels);
    if (count === 0) return new Float32Array(0);
    const x = this.normalize(pixels);
    return noGrad(() => scope(() => {
      const input = tensor(x, { shape: [count, ...this.inputShape] });
      return logitsOf(this.model, input).softmax(1).data() as Float32Array; // (count, classes)
    }));
  }

  /** One Prediction per example of (count * features) pixels 0-1. */
  predict(pixels: Float32Array): Prediction[] {
    const probs = this.probabilities(pixels);
    const classes = this.classNames.length;
    const out: Prediction[] = [];
    for (let offset = 0; offset < probs.length; offset += classes) {
      const row = Array.from(probs.subarray(offset, offset + classes));
      let label = 0;
      for (let c = 1; c < classes; c++) if (row[c] > row[label]) label = c;
      out.push({ label, className: this.classNames[label], probabilities: row });
    }
    return out;
  }

  /** The `k` most probable classes of one prediction, best first. */
  top(prediction: Prediction, k = 3): Ranked[] {
    return prediction.probabilities
      .map((probability, label) => ({ label, className: this.classNames[label], probability }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, k);
  }

  private countOf(pixels: Float32Array): number {
    if (pixels.length % this.features !== 0) {
      throw new ShapeError(`expected a multiple of ${this.features} pixel values (${this.inputShape.join('x')} per image), got ${pixels.length}`);
    }
    return pixels.length / this.features;
  }
}
