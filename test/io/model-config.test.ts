// config.json's optional per-channel statistics (preprocessing.channelStats): kept when valid, refused by name
// when not, absent in older folders.
import { describe, expect, it } from 'vitest';
import { checkModelConfig } from '../../src/io/model-config.js';
import { IMAGENET_CHANNEL_STATS, importedConfig } from '../../src/io/torchvision-import.js';

const layer = { type: 'ResNet', channels: 3, imageSize: 40, widths: [2], blocksPerStage: 1, stem: 'imagenet', numClasses: 3 };

describe('preprocessing.channelStats', () => {
  it('is written for imported models and read back; folders without it still load', () => {
    const config = importedConfig(layer, 'x', { kind: 'standardize', mean: 0.449, std: 0.226 }, undefined, IMAGENET_CHANNEL_STATS);
    const read = checkModelConfig(JSON.parse(JSON.stringify(config)), 'config.json');
    expect(read.preprocessing.channelStats).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    const { channelStats: _, ...older } = config.preprocessing;
    expect(checkModelConfig({ ...config, preprocessing: older }, 'config.json').preprocessing).toEqual(older);
  });

  it('refuses lists of other lengths and non-positive deviations, naming the field', () => {
    const config = importedConfig(layer, 'x', { kind: 'standardize', mean: 0.449, std: 0.226 });
    for (const channelStats of [{ mean: [0.5, 0.5], std: [0.5] }, { mean: [0.5], std: [0] }, { mean: 'a', std: [1] }]) {
      expect(() => checkModelConfig({ ...config, preprocessing: { ...config.preprocessing, channelStats } }, 'm/config.json')).toThrow(/m\/config.json: preprocessing.channelStats must be \{ mean: \[numbers\], std: \[positive numbers\] \}/);
    }
  });
});
