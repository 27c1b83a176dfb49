// A Keras-style model: `new Sequential([...])`, `compile({optimizer, loss, metrics})`,
// `fit(x, y, {epochs})`, `evaluate(x, y)`, `predict(x)`. A thin shell over nn.Sequential,
// createOptimizer, fit() and evaluate(): no training logic of its own.
import type { Dataset } from '../data/dataset.js';
import { UsageError } from '../errors.js';
import { createOptimizer, OPTIMIZER_NAMES, type OptimizerName } from '../models/recipe.js';
import { Sequential as NNSequential } from '../nn/layers/sequential.js';
import type { Optimizer } from '../optim/optimizer.js';
import { evaluate as evaluateModel, predict as predictModel, classesOf } from '../train/evaluate.js';
import { fit as fitModel, type History } from '../train/fit.js';
import type { Callback } from '../train/types.js';
import type { KerasLayer } from './layers.js';
import { NDArray } from './ndarray.js';

/** Keras loss names (both spellings); both are cross-entropy on the softmax output. */
export type LossName = 'sparseCategoricalCrossentropy' | 'sparse_categorical_crossentropy' | 'categoricalCrossentropy' | 'categorical_crossentropy';
const SPARSE: readonly string[] = ['sparseCategoricalCrossentropy', 'sparse_categorical_crossentropy'];
const ONE_HOT: readonly string[] = ['categoricalCrossentropy', 'categorical_crossentropy'];

/** What `compile` takes. */
export interface CompileOptions {
  /** 'adam' (lr 0.001, as Keras), 'adamw', 'sgd' (lr 0.01), or a name with a learning rate. */
  optimizer: OptimizerName | { name: OptimizerName; learningRate?: number; weightDecay?: number; momentum?: number };
  loss: LossName;
  /** Only 'accuracy' is reported (loss always is). */
  metrics?: 'accuracy'[];
}

/** What `fit` takes (Keras defaults: 1 epoch, batch 32). */
export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  validationData?: [NDArray, NDArray];
  /** 0 silent, 1 progress bar on a terminal, 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Seeds shuffling and the validation split (default 0); seed weights with manualSeed() before building. */
  seed?: number;
  callbacks?: Callback[];
}

/** A Keras-style Sequential model over zerograd's nn.Sequential (`.model`). */
export class Sequential {
  /** The underlying zerograd model (save it with io's saveModel, serve it, fine-tune it). */
  readonly model: NNSequential;
  private compiled: { optimizer: Optimizer; oneHot: boolean } | null = null;

  constructor(layers: readonly KerasLayer[], options: { name?: string } = {}) {
    const inputShape = layers[0]?.kerasInputShape;
    if (!inputShape) throw new UsageError('Sequential: give the first layer an inputShape, e.g. layers.Flatten({ inputShape: [28, 28] })');
    this.model = new NNSequential(layers, { inputShape, ...(options.name ? { name: options.name } : {}) });
  }

  /** Prints (and returns) the Keras-like table of layers, output shapes and parameters. */
  summary(): string {
    const text = this.model.summary();
    console.log(text);
    return text;
  }

  /** Chooses the optimizer and the loss. */
  compile(options: CompileOptions): void {
    const spec = typeof options.optimizer === 'string' ? { name: options.optimizer } : options.optimizer;
    if (!OPTIMIZER_NAMES.includes(spec.name)) throw new UsageError(`compile: optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got '${String(spec.name)}'`);
    if (!SPARSE.includes(options.loss) && !ONE_HOT.includes(options.loss)) {
      throw new UsageError(`compile: loss must be sparseCategoricalCrossentropy or categoricalCrossentropy, got '${String(options.loss)}'`);
    }
    const unknown = (options.metrics ?? []).find((m) => m !== 'accuracy');
    if (unknown !== undefined) throw new UsageError(`compile: only the 'accuracy' metric is supported, got '${String(unknown)}'`);
    if (!this.model.endsWithSoftmax) throw new UsageError("compile: the last layer must be Dense(..., { activation: 'softmax' }) for cross-entropy");
    const lr = spec.learningRate ?? (spec.name === 'sgd' ? 0.01 : 0.001);
    const optimizer = createOptimizer({ optimizer: spec.name, lr, batchSize: 32, epochs: 1, normalize: 'scale', weightDecay: spec.weightDecay, momentum: spec.momentum }, this.model.parameters());
    this.compiled = { optimizer, oneHot: ONE_HOT.includes(options.loss) };
  }

  /** Trains on (x, y); resolves to the history (`history.history[e].loss`, `.accuracy`, ...). */
  async fit(x: NDArray, y: NDArray, args: FitArgs = {}): Promise<History> {
    const { optimizer } = this.ready('fit');
    const train = this.dataset(x, y, 'fit');
    const validationData = args.validationData ? this.dataset(args.validationData[0], args.validationData[1], 'fit validationData') : null;
    return fitModel(this.model, train, {
      epochs: args.epochs ?? 1, batchSize: args.batchSize ?? 32, optimizer, seed: args.seed ?? 0,
      validationSplit: args.validationSplit, validationData, callbacks: args.callbacks,
      progress: args.verbose === 0 ? 'none' : args.verbose === 2 ? 'lines' : 'auto',
    });
  }

  /** Test loss and accuracy: `const [loss, accuracy] = model.evaluate(xTest, yTest)`. */
  evaluate(x: NDArray, y: NDArray, options: { batchSize?: number; verbose?: 0 | 1 } = {}): [number, number] {
    this.ready('evaluate');
    const result = evaluateModel(this.model, this.dataset(x, y, 'evaluate'), { batchSize: options.batchSize ?? 256 });
    if (options.verbose !== 0) console.log(`${result.count}/${result.count} - loss: ${result.loss.toFixed(4)} - accuracy: ${result.accuracy.toFixed(4)}`);
    return [result.loss, result.accuracy];
  }

  /** Class probabilities, (N, classes). */
  predict(x: NDArray, options: { batchSize?: number } = {}): NDArray {
    const { probabilities } = predictModel(this.model, Float32Array.from(x.values), { batchSize: options.batchSize ?? 256 });
    return new NDArray(probabilities, [x.length, probabilities.length / Math.max(1, x.length)]);
  }

  private ready(where: string): { optimizer: Optimizer; oneHot: boolean } {
    if (!this.compiled) throw new UsageError(`${where}: call compile({ optimizer, loss, metrics }) first`);
    return this.compiled;
  }

  /** (x, y) as the training loop's Dataset; one-hot y (N, C) becomes class indices. */
  private dataset(x: NDArray, y: NDArray, where: string): Dataset {
    if (x.length !== y.length) throw new UsageError(`${where}: x has ${x.length} examples, y has ${y.length}`);
    const oneHot = this.compiled?.oneHot ?? false;
    if (oneHot !== (y.shape.length === 2)) {
      throw new UsageError(`${where}: ${oneHot ? 'categoricalCrossentropy expects one-hot y of shape (N, classes)' : 'sparseCategoricalCrossentropy expects class indices y of shape (N)'}, got y of shape (${y.shape.join(', ')})`);
    }
    const classes = oneHot ? y.shape[1] : this.model.outputShape(this.model.inputShape ?? []).at(-1) ?? 0;
    const labels = oneHot ? Uint8Array.from(classesOf(y.values, y.length, classes)) : Uint8Array.from(y.values);
    const features = x.values.length / Math.max(1, x.length);
    const cols = x.shape.length > 1 ? x.shape[x.shape.length - 1] : features;
    return {
      name: where, images: x.values instanceof Float32Array ? x.values : Float32Array.from(x.values), labels, count: x.length,
      rows: features / cols, cols, shape: x.shape, classNames: Array.from({ length: classes }, (_, c) => String(c)),
      normalization: { kind: 'scale', mean: 0, std: 1 },
    };
  }
}
