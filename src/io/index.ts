// Saving and loading models: safetensors weights plus JSON config and metrics in one folder; reading
// foreign arrays and checkpoints: NumPy .npy files and torch.save state dicts (restricted unpickler), and
// the key plans that turn torchvision ResNet and ViT state dicts and Hugging Face ViT and ResNet folders into
// zerograd models.
export * from './safetensors.js';
export * from './model-folder.js';
export * from './from-bytes.js';
export * from './npy.js';
export { ELEMENT_BYTES, halfToFloat, type ElementType, type ElementValues } from './elements.js';
export { isZip, readZipEntries, zipEntryData, type ZipEntry } from './zip.js';
export { crc32, encodeZip, type ZipFile } from './zip-write.js';
export { unpickle, PickleDict, PickleGlobal, PickleStorage, PickleTensor, PickleTuple, type PickleKey, type PickleValue } from './torch-pickle.js';
export * from './torch-checkpoint.js';
export { readStateDict } from './state-dict.js';
export { mapStateDict, resnetOptions, resnetPlan, sequentialOf, TORCHVISION_RESNETS, type PlannedTensor } from './torchvision.js';
export { TORCHVISION_VITS, vitOptions, vitPlan } from './torchvision-vit.js';
export * from './torchvision-import.js';
export { HfFields, type HfConfig } from './huggingface-config.js';
export { hfVitOptions, hfVitPlan, type HfHead } from './huggingface-vit.js';
export { hfResnetKey, hfResnetOptions, hfResnetPlan } from './huggingface-resnet.js';
export * from './huggingface-import.js';
