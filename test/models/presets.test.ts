import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, checkRecipe, createOptimizer, PRESETS, preset, resolveModelSpec } from '../../src/models/index.js';
import { Adam, AdamW, SGD } from '../../src/optim/index.js';
import { tempDir, thrown } from '../data/helpers.js';
import { useCpu } from '../train/helpers.js';

describe('model presets', () => {
  beforeAll(useCpu);

  it("mlp is the seed's Keras model and recipe", () => {
    const spec = preset('mlp');
    const model = buildModel(spec.architecture);
    expect(model.countParameters().total).toBe(101_770); // 784*128+128 + 128*10+10
    expect(model.endsWithSoftmax).toBe(true);
    expect(spec.recipe).toMatchObject({ optimizer: 'adam', lr: 0.001, batchSize: 32, epochs: 5 });
  });

  it('cnn is the benchmark small CNN: conv 32 -> pool -> conv 64 -> pool -> dense 10', () => {
    const spec = preset('cnn');
    const model = buildModel(spec.architecture);
    const shapes: number[][] = [];
    let shape = [1, 28, 28];
    for (const layer of model.layers) shapes.push((shape = layer.outputShape(shape)));
    expect(shapes).toEqual([[32, 26, 26], [32, 13, 13], [64, 11, 11], [64, 5, 5], [1600], [10]]);
    expect(model.countParameters().total).toBe(320 + 18_496 + 16_010);
    expect(spec.recipe).toMatchObject({ optimizer: 'adam', batchSize: 64, epochs: 3 });
  });

  it('cnn-fast is a LeNet-style BN net trained for two one-cycle epochs', () => {
    const spec = preset('cnn-fast');
    const model = buildModel(spec.architecture);
    expect(model.outputShape([1, 28, 28])).toEqual([10]);
    // conv 16*25, BN 32, conv 32*400, BN 64, dense 512*128+128, dense 1290
    expect(model.countParameters().total).toBe(400 + 32 + 12_800 + 64 + 65_664 + 1_290);
    expect(spec.recipe).toMatchObject({ optimizer: 'adam', lr: 0.01, batchSize: 64, epochs: 2, schedule: { type: 'onecycle' } });
  });

  it('cnn-best uses batch norm, augmentation and a one-cycle schedule', () => {
    const spec = preset('cnn-best');
    const model = buildModel(spec.architecture);
    expect(model.layers.filter((l) => l.config().type === 'BatchNorm')).toHaveLength(5);
    const pooled: number[][] = [];
    let shape = [1, 28, 28];
    for (const layer of model.layers) {
      shape = layer.outputShape(shape);
      if (layer.config().type === 'MaxPool2D') pooled.push(shape);
    }
    expect(pooled).toEqual([[32, 12, 12], [64, 4, 4]]); // valid padding: 28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4
    expect(model.outputShape([1, 28, 28])).toEqual([10]);
    expect(spec.recipe.augment).toBeTruthy();
    expect(spec.recipe.schedule?.type).toBe('onecycle');
  });

  it('returns copies, so changing a recipe leaves the preset alone', () => {
    preset('mlp').recipe.epochs = 99;
    expect(PRESETS.mlp.recipe.epochs).toBe(5);
  });

  it('creates the optimizer a recipe names', () => {
    const params = buildModel(preset('mlp').architecture).parameters();
    expect(createOptimizer({ ...preset('mlp').recipe }, params)).toBeInstanceOf(Adam);
    expect(createOptimizer({ ...preset('cnn-best').recipe }, params)).toBeInstanceOf(AdamW);
    const sgd = createOptimizer({ optimizer: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, batchSize: 8, epochs: 1, normalize: 'scale' }, params);
    expect(sgd).toBeInstanceOf(SGD);
    expect((sgd as SGD).nesterov).toBe(true);
  });
});

describe('model spec files', () => {
  const dir = tempDir('zerograd-models-');
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads a spec with the shape of a preset, filling recipe defaults', () => {
    const path = file('small.json', JSON.stringify({
      name: 'small',
      architecture: { type: 'Sequential', inputShape: [784], layers: [{ type: 'Dense', units: 32, activation: 'tanh' }, { type: 'Dense', units: 10 }] },
      recipe: { optimizer: 'sgd', lr: 0.05, momentum: 0.9, epochs: 2, schedule: { type: 'cosine' } },
    }));
    const spec = resolveModelSpec(path);
    expect(spec.name).toBe('small');
    expect(spec.recipe).toEqual({ optimizer: 'sgd', lr: 0.05, momentum: 0.9, batchSize: 32, epochs: 2, normalize: 'standardize', schedule: { type: 'cosine' } });
    expect(buildModel(spec.architecture).countParameters().total).toBe(784 * 32 + 32 + 330);
  });

  it('accepts a bare Sequential config (a saved architecture) with the default recipe', () => {
    const spec = resolveModelSpec(file('bare.json', JSON.stringify(preset('mlp').architecture)));
    expect(spec.name).toBe('bare');
    expect(spec.recipe.optimizer).toBe('adam');
  });

  it('names the problem in unknown presets, missing files, bad JSON and bad fields', () => {
    expect(thrown(() => resolveModelSpec('resnet')).message).toMatch(/unknown model preset 'resnet'; expected one of mlp, cnn, cnn-fast, cnn-best or a \.json file/);
    expect(thrown(() => resolveModelSpec(join(dir, 'none.json'))).message).toMatch(/none\.json' does not exist/);
    expect(thrown(() => resolveModelSpec(file('bad.json', '{ "architecture": '))).message).toMatch(/bad\.json' is not valid JSON/);
    expect(thrown(() => resolveModelSpec(file('noarch.json', '{"recipe": {}}'))).message).toMatch(/'architecture' must be a Sequential config/);
    expect(thrown(() => resolveModelSpec(file('noshape.json', '{"type": "Sequential", "layers": []}'))).message).toMatch(/inputShape must be a list of positive integers/);
    expect(thrown(() => checkRecipe({ lr: -1 }, 'spec recipe')).message).toMatch(/spec recipe\.lr must be a positive number, got -1/);
    expect(thrown(() => checkRecipe({ optimizer: 'rmsprop' })).message).toMatch(/optimizer must be one of adam, adamw, sgd/);
    expect(thrown(() => checkRecipe({ schedule: { type: 'linear' } })).message).toMatch(/schedule must be an object with type constant \| step \| cosine \| onecycle/);
    expect(thrown(() => checkRecipe({ batchSize: 2.5 })).message).toMatch(/batchSize must be a positive integer/);
  });

  it('reports a layer error with where it came from', () => {
    const spec = resolveModelSpec(file('layer.json', JSON.stringify({ architecture: { type: 'Sequential', inputShape: [784], layers: [{ type: 'Dense', units: 0 }] } })));
    expect(thrown(() => buildModel(spec.architecture, 'layer.json')).message).toMatch(/layer\.json: layers\[0\]: Dense: units must be a positive integer, got 0/);
  });
});
