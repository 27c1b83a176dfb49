// Properties of config.json parsing and model loading: random JSON, mutated valid configs (a field
// replaced, deleted or added anywhere; bytes flipped; text truncated) end in a loaded model or a
// DataError naming config.json or model.safetensors, through modelFromBytes and through loadModel.
//
// Bound kept by the generators: replacement numbers are small (-3..64) or absurd (>= 2^53, refused
// without allocation). Building an architecture allocates its parameters before they are compared
// with the weights, so a config.json asking for, say, a Dense layer of 10^6 units allocates it; that
// middle range is left out here (see bench/results/reliability/weights.md).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { DataError } from '../../src/errors.js';
import { modelFromBytes } from '../../src/io/from-bytes.js';
import { checkModelConfig, loadModel, MODEL_FORMAT, MODEL_FORMAT_VERSION, modelTensors, type ModelConfig } from '../../src/io/model-folder.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { Dense, Flatten, Sequential } from '../../src/nn/index.js';
import { getBackend, manualSeed, setBackend } from '../../src/tensor/engine.js';
import type { NamedProperty } from './property.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface Base { name: string; config: ModelConfig; weights: Uint8Array }

let bases: Base[] | null = null;

/** Two valid models: a tiny MLP made here and the shipped CNN. Built once, on the reference backend. */
function validBases(): Base[] {
  if (bases) return bases;
  if (!(getBackend() instanceof CpuBackend)) setBackend(new CpuBackend());
  manualSeed(3);
  const mlp = new Sequential([new Flatten(), new Dense({ units: 8, activation: 'relu' }), new Dense({ units: 10, activation: 'softmax' })], { inputShape: [1, 28, 28] });
  const mlpConfig: ModelConfig = {
    format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, name: 'tiny', architecture: mlp.config(), inputShape: [1, 28, 28],
    preprocessing: { normalization: { kind: 'standardize', mean: 0.13, std: 0.31 }, layout: 'image', rows: 28, cols: 28 },
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], data: 'mnist',
  };
  const cnn = join(ROOT, 'models', 'mnist-cnn');
  bases = [
    { name: 'mlp', config: mlpConfig, weights: encodeSafetensors(modelTensors(mlp), { format: 'pt' }) },
    { name: 'cnn', config: JSON.parse(readFileSync(join(cnn, 'config.json'), 'utf8')) as ModelConfig, weights: readFileSync(join(cnn, 'model.safetensors')) },
  ];
  return bases;
}

const smallNumberArb = fc.oneof(
  fc.integer({ min: -3, max: 64 }),
  fc.constantFrom(0, -0, 1.5, -0.5, 1e-300, 2 ** 53, 2 ** 60, 1e20, 1e300),
);
const scalarArb = fc.oneof(
  smallNumberArb,
  fc.constantFrom('Dense', 'Conv2D', 'Sequential', 'Flatten', 'MaxPool2D', 'ReLU', 'Capsule', 'relu', 'softmax', 'same', 'valid', 'image', 'flat', 'scale', 'standardize', '__proto__', ''),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
);
/** JSON values built from those scalars (no number in the middle range; see the file's header). */
const valueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarArb, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 3 })),
})).value;

/** One edit of a parsed config: at the path chosen by `picks`, replace, delete or add a key. */
interface Edit { picks: number[]; kind: 'replace' | 'delete' | 'add'; key: string; value: unknown }
const editArb: fc.Arbitrary<Edit> = fc.record({
  // Paths start at the top level, or (as often) inside architecture.layers, where most checks are.
  picks: fc.oneof(fc.array(fc.nat(), { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 3 }).map((rest) => [-1, ...rest])),
  kind: fc.constantFrom<Edit['kind']>('replace', 'replace', 'delete', 'add'),
  key: fc.constantFrom('units', 'type', 'inputShape', 'layers', 'filters', 'kernelSize', 'activation', 'inputDim', 'x', '__proto__', 'constructor'),
  value: valueArb,
});

function applyEdit(root: unknown, edit: Edit): unknown {
  if (edit.picks.length === 0 && edit.kind === 'replace') return edit.value;
  if (root === null || typeof root !== 'object') return root;
  let node = root;
  const layers = (root as { architecture?: { layers?: unknown } } | null)?.architecture?.layers;
  if (edit.picks[0] === -1 && layers !== null && typeof layers === 'object') node = layers;
  for (const pick of edit.picks.filter((p) => p >= 0)) {
    const children = node !== null && typeof node === 'object' ? Object.keys(node) : [];
    const next = children.length === 0 ? undefined : (node as Record<string, unknown>)[children[pick % children.length]];
    if (next === null || typeof next !== 'object') break;
    node = next;
  }
  if (node === null || typeof node !== 'object') return root;
  const last = Math.max(0, edit.picks.at(-1) ?? 0);
  if (Array.isArray(node)) { // arrays get index edits only
    const list = node as unknown[];
    const at = last % (list.length + (edit.kind === 'add' ? 1 : 0) || 1);
    if (edit.kind === 'delete') {
      for (let i = at; i < list.length - 1; i++) list[i] = list[i + 1];
      list.length = Math.max(0, list.length - 1);
    } else {
      list[at] = edit.value;
    }
    return root;
  }
  const target = node as Record<string, unknown>;
  const keys = Object.keys(target);
  const key = edit.kind === 'add' || keys.length === 0 ? edit.key : keys[last % keys.length];
  if (edit.kind === 'delete') delete target[key];
  else Object.defineProperty(target, key, { value: edit.value, enumerable: true, writable: true, configurable: true }); // '__proto__' as an own key, as JSON.parse makes it
  return root;
}

/** config.json text: a base, edited, serialized, then maybe bytes flipped or cut. */
export const configTextArb = fc.record({
  base: fc.nat(),
  edits: fc.array(editArb, { minLength: 0, maxLength: 3 }),
  // Most cases keep valid JSON (edits only), so that the checks behind the parser are reached.
  flips: fc.oneof({ arbitrary: fc.constant([]), weight: 4 }, { arbitrary: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), weight: 1 }),
  cut: fc.oneof({ arbitrary: fc.constant(undefined), weight: 9 }, { arbitrary: fc.nat(), weight: 1 }),
}).map(({ base, edits, flips, cut }) => {
  const all = validBases();
  const chosen = all[base % all.length];
  const edited = edits.reduce((c, e) => applyEdit(c, e), structuredClone(chosen.config) as unknown);
  const bytes = Buffer.from(JSON.stringify(edited) ?? 'undefined');
  for (const [at, value] of flips) bytes[at % bytes.length] = value;
  return { base: chosen, text: bytes.subarray(0, cut === undefined ? bytes.length : cut % (bytes.length + 1)).toString('utf8') };
});

/** A loaded model, or a DataError whose message starts with the config or weights file. */
function loadsOrRefuses(load: () => { model: Sequential; config: ModelConfig }, where: string): void {
  let loaded;
  try {
    loaded = load();
  } catch (err) {
    if (err instanceof DataError && (err.message.startsWith(`${where}/config.json: `) || err.message.startsWith(`${where}/model.safetensors: `))) return;
    throw err;
  }
  const outputs = loaded.model.outputShape(loaded.config.inputShape);
  if (outputs.length !== 1 || outputs[0] !== loaded.config.classNames.length) throw new Error(`loaded a model with outputs (${outputs.join(', ')}) for ${loaded.config.classNames.length} classes`);
}

let folder: string | null = null;
/** A scratch model folder, removed when the process exits. */
function scratchFolder(): string {
  if (folder) return folder;
  const root = mkdtempSync(join(tmpdir(), 'zerograd-config-props-'));
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  folder = join(root, 'model');
  mkdirSync(folder);
  return folder;
}

export const properties: NamedProperty[] = [
  {
    name: 'config.json: any JSON value is a checked config or a DataError naming the file',
    property: fc.property(fc.oneof(valueArb, fc.jsonValue({ maxDepth: 3 })), (value) => {
      try {
        const config = checkModelConfig(value, 'prop/config.json');
        return config.format === MODEL_FORMAT && config.classNames.length > 0;
      } catch (err) {
        return err instanceof DataError && err.message.startsWith('prop/config.json: ');
      }
    }),
  },
  {
    name: 'config.json: mutated valid configs load with their weights or fail with a DataError (modelFromBytes)',
    property: fc.property(configTextArb, ({ base, text }) => {
      loadsOrRefuses(() => modelFromBytes(text, base.weights, 'prop'), 'prop');
    }),
  },
  {
    name: 'config.json: mutated config files in a model folder load or fail with a DataError naming the file (loadModel)',
    property: fc.property(configTextArb, ({ base, text }) => {
      const dir = scratchFolder();
      writeFileSync(join(dir, 'config.json'), text);
      writeFileSync(join(dir, 'model.safetensors'), base.weights);
      loadsOrRefuses(() => loadModel(dir), dir);
    }),
  },
];
