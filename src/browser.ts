// zerograd's browser-safe API (the `browser` condition of the package): the engine, nn and optim, data
// transforms, training and evaluation, model bytes, metrics, saliency, ONNX and PyTorch export and fine-tuning.
// Nothing here imports a Node built-in; file, thread and report helpers are in the Node entry (index.ts).
import { defaultBackend } from './backend/registry.js';
import { setDefaultBackend } from './tensor/engine.js';

export * from './ops/index.js';
export { Tensor, type GradNode, type NestedArray } from './tensor/tensor.js';
export { Random, type RandomState } from './tensor/random.js';
export { getBackend, setBackend, noGrad, scope, manualSeed, globalRandom, isGradEnabled } from './tensor/engine.js';
export * from './tensor/shape.js';
export type { Backend, DataBuffer, DType } from './backend/backend.js';
export { UnaryOp, BinaryOp, ReduceOp } from './backend/backend.js';
export { CpuBackend } from './backend/cpu/cpu-backend.js';
export { init, type BackendName, type InitOptions } from './backend/registry.js';
export { relaxedSimdSupported, resolveKernelBuild, type KernelBuild, type KernelChoice } from './backend/wasm/kernel-build.js';
export * from './errors.js';
export * from './nn/index.js';
export * from './optim/index.js';
// data: everything that works on arrays (loaders of files are Node-only)
export * from './data/dataset.js';
export { toRandom } from './data/rng.js';
export { preprocessDigit, resize, toGray, type PreprocessOptions } from './data/preprocess.js';
export type { PixelImage } from './data/image.js';
export { renderStrokes, type RenderOptions, type Stroke } from './data/strokes.js';
export * from './data/normalize.js';
export * from './data/split.js';
export * from './data/batches.js';
export * from './data/augment.js';
// training, evaluation, checkpoints as values
export * from './train/types.js';
export * from './train/fit.js';
export * from './train/evaluate.js';
export * from './train/callbacks.js';
export * from './train/progress.js';
export {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointMeta, type TrainingCheckpoint,
} from './train/checkpoint.js';
// model files as bytes
export * from './io/safetensors.js';
export * from './io/model-config.js';
export * from './io/from-bytes.js';
export { crc32, encodeZip, type ZipFile } from './io/zip-write.js';
export * from './models/index.js';
export * from './metrics/index.js';
export * from './explain/index.js';
export * from './export/onnx.js';
export * from './export/pytorch.js';
export * from './finetune/index.js';
export { DigitClassifier, type ClassifierConfig, type Prediction, type Ranked } from './serve/classifier.js';
// Both ops and data define oneHot: the tensor op keeps the name, the typed-array one is oneHotLabels.
export { oneHot } from './ops/softmax.js';
export { oneHot as oneHotLabels } from './data/labels.js';

setDefaultBackend(defaultBackend);
