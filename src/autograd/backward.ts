// Reverse-mode differentiation: topological order of the recorded graph, then each node's
// local rule in reverse, accumulating into leaf `.grad` (which survives scopes).
import { ShapeError } from '../errors.js';
import { noGrad } from '../tensor/engine.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS (deep graphs would overflow the call stack).
  const stack: { tensor: Tensor; next: number }[] = [{ tensor: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const inputs = frame.tensor.node?.inputs ?? [];
    if (frame.next < inputs.length) {
      const child = inputs[frame.next++];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push({ tensor: child, next: 0 });
      }
    } else {
      order.push(frame.tensor);
      stack.pop();
    }
  }
  return order;
}

/**
 * Computes gradients of `root` with respect to every leaf that requires one and adds them
 * into the leaves' `.grad`. `seed` defaults to ones (root must then have one element).
 */
export interface BackwardHelpers {
  ones(like: Tensor): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
  clone(t: Tensor): Tensor;
}

export function backward(root: Tensor, seed: Tensor | undefined, { ones, add, clone }: BackwardHelpers): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require a gradient (no parameter with requiresGrad was used to compute it, or it was computed under noGrad)');
  }
  if (seed === undefined && root.size !== 1) {
    throw new ShapeError(`backward: called on a tensor of shape ${formatShape(root.shape)}; pass a gradient of the same shape or reduce it to a scalar first`);
  }
  if (seed !== undefined && !sameShape(seed.shape, root.shape)) {
    throw new ShapeError(`backward: gradient shape ${formatShape(seed.shape)} does not match tensor shape ${formatShape(root.shape)}`);
  }
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, seed ?? ones(root));
    const order = topologicalOrder(root);
    for (let i = order.length - 1; i >= 0; i--) {
      const tensor = order[i];
      const dy = grads.get(tensor);
      if (dy === undefined) continue;
      const node = tensor.node;
      if (node === null) {
        // A leaf: accumulate into .grad, its own copy (kept across scopes; gradients may be shared objects).
        const previous = tensor.grad;
        tensor.grad = (previous === null ? clone(dy) : add(previous, dy)).keep();
        if (previous !== null) previous.dispose();
        grads.delete(tensor);
        continue;
      }
      const inputGrads = node.backward(dy);
      for (let k = 0; k < node.inputs.length; k++) {
        const input = node.inputs[k];
        const g = inputGrads[k];
        if (g === null || g === undefined || !input.requiresGrad) continue;
        if (!sameShape(g.shape, input.shape)) {
          throw new ShapeError(`backward of ${node.op}: gradient shape ${formatShape(g.shape)} does not match input shape ${formatShape(input.shape)}`);
        }
        const existing = grads.get(input);
        grads.set(input, existing === undefined ? g : add(existing, g));
      }
      if (tensor !== root) grads.delete(tensor);
    }
  });
}
