// Keras-style layer constructors (`layers.Dense(128, {activation: 'relu'})`) that return
// zerograd's nn modules; `inputShape` on the first layer tells Sequential its input.
import type { ActivationName } from '../nn/activations.js';
import { Dropout as DropoutLayer, Flatten as FlattenLayer } from '../nn/layers/basic.js';
import { Conv2D as Conv2DLayer, MaxPool2D } from '../nn/layers/conv.js';
import { Dense as DenseLayer } from '../nn/layers/dense.js';
import type { Module } from '../nn/module.js';

/** `inputShape` of the model's first layer, as in Keras (without the batch axis). */
export interface InputOptions {
  inputShape?: readonly number[];
}

/** A layer plus the input shape given to it (read by Sequential). */
export type KerasLayer = Module & { kerasInputShape?: readonly number[] };

function withInput(layer: Module, options: InputOptions): KerasLayer {
  const tagged: KerasLayer = layer;
  if (options.inputShape) tagged.kerasInputShape = [...options.inputShape];
  return tagged;
}

/** Flattens each example to a vector: (B, 28, 28) -> (B, 784). */
export function Flatten(options: InputOptions = {}): KerasLayer {
  return withInput(new FlattenLayer(), options);
}

/** Fully connected layer with `units` outputs. */
export function Dense(units: number, options: InputOptions & { activation?: ActivationName; useBias?: boolean } = {}): KerasLayer {
  return withInput(new DenseLayer({ units, activation: options.activation, useBias: options.useBias }), options);
}

/** 2-D convolution on NCHW images (channels first: inputShape [1, 28, 28]). */
export function Conv2D(filters: number, kernelSize: number, options: InputOptions & { activation?: ActivationName; padding?: 'valid' | 'same'; strides?: number } = {}): KerasLayer {
  return withInput(new Conv2DLayer({ filters, kernelSize, activation: options.activation, padding: options.padding, stride: options.strides }), options);
}

/** Max pooling over `poolSize` x `poolSize` windows (stride = poolSize). */
export function MaxPooling2D(poolSize = 2, options: InputOptions = {}): KerasLayer {
  return withInput(new MaxPool2D({ poolSize }), options);
}

/** Randomly zeroes a fraction `rate` of activations while training. */
export function Dropout(rate: number, options: InputOptions = {}): KerasLayer {
  return withInput(new DropoutLayer(rate), options);
}
