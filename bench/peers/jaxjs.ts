// jax-js (@jax-js/jax) as a head-to-head peer on its `wasm` device, in the style of the jax-js MNIST
// demo: parameters are a pytree, the loss is jit(valueAndGrad(...)), Adam is a jitted update
// (written here: @jax-js/optax is not a dependency). Arrays are reference-counted: functions
// consume their arguments, `.ref` / tree.ref keep a copy alive.
// Usage: node --import tsx bench/peers/jaxjs.ts '<job json>'
import { blockUntilReady, init, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { Random } from '../../src/data/index.js';
import type { ModelName } from './protocol.js';
import { runMain, type NodePeer, type Trainer } from './runner.js';

type Params = { [name: string]: np.Array };

/** PyTorch's default init: uniform in +-1/sqrt(fan_in), drawn on the host from a seeded generator. */
function uniform(rng: Random, shape: number[], fanIn: number): np.Array {
  const bound = 1 / Math.sqrt(fanIn);
  const values = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < values.length; i++) values[i] = (rng.uniform() * 2 - 1) * bound;
  return np.array(values).reshape(shape);
}

function initParams(model: ModelName, seed: number): Params {
  if (model === 'cnn-fast') throw new Error('the jax-js peer runs only the mlp and cnn jobs');
  const rng = new Random(seed);
  if (model === 'mlp') {
    return { w1: uniform(rng, [784, 128], 784), b1: uniform(rng, [128], 784), w2: uniform(rng, [128, 10], 128), b2: uniform(rng, [10], 128) };
  }
  return {
    w1: uniform(rng, [32, 1, 3, 3], 9), b1: uniform(rng, [32, 1, 1], 9),
    w2: uniform(rng, [64, 32, 3, 3], 288), b2: uniform(rng, [64, 1, 1], 288),
    w3: uniform(rng, [1600, 10], 1600), b3: uniform(rng, [10], 1600),
  };
}

const maxPool2x2 = (x: np.Array) => lax.reduceWindow(x, np.max, [2, 2], [2, 2]);

/** (B, 1, 28, 28) -> (B, 10) logits. */
function logits(model: ModelName, p: Params, x: np.Array): np.Array {
  if (model === 'mlp') {
    const h = nn.relu(np.dot(x.reshape([-1, 784]), p.w1).add(p.b1));
    return np.dot(h, p.w2).add(p.b2);
  }
  const a1 = maxPool2x2(nn.relu(lax.convGeneralDilated(x, p.w1, [1, 1], 'VALID').add(p.b1))); // (B, 32, 13, 13)
  const a2 = maxPool2x2(nn.relu(lax.convGeneralDilated(a1, p.w2, [1, 1], 'VALID').add(p.b2))); // (B, 64, 5, 5)
  return np.dot(a2.reshape([-1, 1600]), p.w3).add(p.b3);
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/** One Adam update of every leaf; `stepSize` = lr * sqrt(1 - beta2^t) / (1 - beta1^t). */
const adamUpdate = jit((params: Params, grads: Params, m: Params, v: Params, stepSize: np.Array): [Params, Params, Params] => {
  const newM: Params = {};
  const newV: Params = {};
  const newParams: Params = {};
  for (const name of Object.keys(params)) {
    const g = grads[name];
    newM[name] = m[name].mul(BETA1).add(g.ref.mul(1 - BETA1));
    newV[name] = v[name].mul(BETA2).add(g.ref.mul(g).mul(1 - BETA2));
    newParams[name] = params[name].sub(newM[name].ref.div(np.sqrt(newV[name].ref).add(EPS)).mul(stepSize.ref));
  }
  stepSize.dispose();
  return [newParams, newM, newV];
});

function batchArrays(x: Float32Array, y: Int32Array | null, size: number): [np.Array, np.Array | null] {
  const images = np.array(x.slice(0, size * 784)).reshape([size, 1, 28, 28]);
  return [images, y ? np.array(y.slice(0, size), { dtype: np.int32 }) : null];
}

const peer: NodePeer = {
  async setup() {
    const devices = await init('wasm');
    if (!devices.includes('wasm')) throw new Error(`jax-js init('wasm') returned ${JSON.stringify(devices)}`);
    // jax-js runs kernels on Web Workers only where a global `Worker` exists; Node 20 has none.
    const threads = typeof (globalThis as { Worker?: unknown }).Worker === 'function' ? 'workers' : 1;
    return { engine: 'jax-js', version: '0.1.25', device: 'wasm', threads };
  },

  trainer(model, lr, seed) {
    let params = initParams(model, seed);
    let m: Params = tree.map((p: np.Array) => np.zerosLike(p), tree.ref(params)) as Params;
    let v: Params = tree.map((p: np.Array) => np.zerosLike(p), tree.ref(params)) as Params;
    const loss = (p: Params, x: np.Array, y: np.Array): np.Array => {
      const batch = y.shape[0];
      return nn.logSoftmax(logits(model, p, x)).mul(nn.oneHot(y, 10)).sum().mul(-1 / batch);
    };
    const lossAndGrad = jit(valueAndGrad(loss));
    const predict = jit((p: Params, x: np.Array) => logits(model, p, x));
    let t = 0;
    let lastLoss: np.Array | null = null;
    const trainer: Trainer = {
      async step(x, y, size) {
        const [images, labels] = batchArrays(x, y, size);
        const [value, grads] = lossAndGrad(tree.ref(params), images, labels!);
        t++;
        const stepSize = np.array(lr * Math.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t));
        [params, m, v] = adamUpdate(params, grads, m, v, stepSize);
        lastLoss?.dispose();
        lastLoss = value;
        await blockUntilReady(params); // as the jax-js demo does each step, so work does not pile up
      },
      async sync() {
        await blockUntilReady(params);
        return lastLoss ? Number(await lastLoss.ref.jsAsync()) : null;
      },
      async logits(x, size) {
        const [images] = batchArrays(x, null, size);
        const out = predict(tree.ref(params), images);
        return Float32Array.from((await out.data()) as Float32Array);
      },
      dispose() {
        lastLoss?.dispose();
        tree.dispose(params);
        tree.dispose(m);
        tree.dispose(v);
        lossAndGrad.dispose();
        predict.dispose();
      },
    };
    return trainer;
  },

  predictor(model, seed) {
    const params = initParams(model, seed);
    const predict = jit((p: Params, x: np.Array) => logits(model, p, x));
    return async (x, size) => {
      const [images] = batchArrays(x, null, size);
      await predict(tree.ref(params), images).data();
    };
  },
};

if (import.meta.url === `file://${process.argv[1]}`) await runMain(peer);
