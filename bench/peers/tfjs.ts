// TensorFlow.js 4.22 as a head-to-head peer, with its `cpu` (plain JS) or `wasm` (XNNPACK) backend.
// The same models written with tf.layers, trained with model.trainOnBatch (Adam, softmax + categorical
// cross-entropy, the tfjs MNIST example's setup). The wasm binaries come from node_modules, never downloaded.
// tfjs-node (native TensorFlow) is not a peer: its install downloads a binary, impossible offline.
// Usage: node --import tsx bench/peers/tfjs.ts '<job json>' cpu|wasm
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelName } from './protocol.js';
import { runMain, type NodePeer, type Trainer } from './runner.js';

const backendName = process.argv[3] === 'cpu' ? 'cpu' : 'wasm';

function buildModel(model: ModelName, seed: number): tf.Sequential {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed * 10 + offset });
  if (model === 'cnn-fast') throw new Error('the TF.js peer runs only the mlp and cnn jobs');
  const net = tf.sequential();
  if (model === 'mlp') {
    net.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
    net.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(1) }));
    net.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }));
  } else {
    net.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) })); // (B, 26, 26, 32)
    net.add(tf.layers.maxPooling2d({ poolSize: 2 })); // (B, 13, 13, 32)
    net.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) })); // (B, 11, 11, 64)
    net.add(tf.layers.maxPooling2d({ poolSize: 2 })); // (B, 5, 5, 64)
    net.add(tf.layers.flatten());
    net.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(3) }));
  }
  return net;
}

/** (size, 784) floats -> (size, 28, 28, 1): for one channel NHWC is the same memory as NCHW. */
const images = (x: Float32Array, size: number) => tf.tensor4d(x.subarray(0, size * 784), [size, 28, 28, 1]);

const peer: NodePeer = {
  async setup() {
    const info: Record<string, unknown> = { engine: 'TF.js', version: tf.version.tfjs, backend: backendName };
    if (backendName === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
      await tf.ready();
      info.threads = wasm.getThreadsCount();
      info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      info.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    } else {
      await tf.setBackend('cpu');
      await tf.ready();
      info.threads = 1;
    }
    info.activeBackend = tf.getBackend();
    return info;
  },

  trainer(model, lr, seed) {
    const net = buildModel(model, seed);
    net.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy' });
    let loss: number | null = null;
    const trainer: Trainer = {
      async step(x, y, size) {
        const xs = images(x, size);
        const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(y.subarray(0, size), 'int32'), 10));
        const value = await net.trainOnBatch(xs, ys);
        loss = Array.isArray(value) ? value[0] : value;
        xs.dispose();
        ys.dispose();
      },
      sync: () => loss,
      async logits(x, size) {
        const out = tf.tidy(() => net.predict(images(x, size)) as tf.Tensor);
        const values = (await out.data()) as Float32Array;
        out.dispose();
        return values; // softmax probabilities: the same argmax as logits
      },
      dispose: () => net.dispose(),
    };
    return trainer;
  },

  predictor(model, seed) {
    const net = buildModel(model, seed);
    return async (x, size) => {
      const out = tf.tidy(() => net.predict(images(x, size)) as tf.Tensor);
      await out.data();
      out.dispose();
    };
  },
};

if (import.meta.url === `file://${process.argv[1]}`) await runMain(peer);
