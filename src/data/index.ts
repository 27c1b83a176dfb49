// Public API of the data layer: sources, features and labels, splits, batches, augmentation.
export * from './dataset.js';
export { Random, toRandom, type RandomState } from './rng.js';
export { DEFAULT_MAX_INFLATED_BYTES, readDataFile, readRegularFile, writeFileAtomic, type ReadDataOptions } from './files.js';
export * from './idx.js';
export { embeddedMnistDir, isIdxDir, loadMnist, readIdxPair } from './mnist.js';
export { embeddedFashionDir, FASHION_SPLIT_SEED, loadFashionMnist, parseFashionJson, type FashionOptions } from './fashion.js';
export { encodeCsv, loadCsv, parseCsv, type CsvOptions } from './csv.js';
export {
  checkImageSize, decodeImage, DEFAULT_MAX_IMAGE_PIXELS, encodePng, imageDimensions, readImageFile, type ImageLimits, type PixelImage,
} from './image.js';
export { preprocessDigit, resize, toGray, type PreprocessOptions } from './preprocess.js';
export { renderStrokes, type RenderOptions, type Stroke } from './strokes.js';
export { loadImageFolder, type ImageFolderOptions } from './folder.js';
export { loadSource, type LoadedSource, type SourceKind, type SourceOptions } from './source.js';
export * from './normalize.js';
export * from './labels.js';
export * from './split.js';
export * from './batches.js';
export * from './augment.js';
export { renderGrid, type GridOptions } from './grid.js';
