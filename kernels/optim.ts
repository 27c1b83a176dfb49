// Fused optimizer steps over [start, end): Adam/AdamW and SGD with momentum / Nesterov (PyTorch semantics).
// The caller computes 1 - beta, the decoupled decay factor and the bias corrections in f64 (1 - 0.999 in f32 is 1e-5 off).

export function adamStep(param: usize, grad: usize, m: usize, v: usize, start: i32, end: i32,
  lr: f32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, eps: f32, weightDecay: f32,
  decayFactor: f32, inverseCorrection1: f32, inverseCorrection2: f32): void {
  const decay = f32x4.splat(decayFactor);
  const wd = f32x4.splat(weightDecay);
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const oneMinusB1 = f32x4.splat(oneMinusBeta1);
  const oneMinusB2 = f32x4.splat(oneMinusBeta2);
  const inverseC1 = f32x4.splat(inverseCorrection1);
  const inverseC2 = f32x4.splat(inverseCorrection2);
  const rate = f32x4.splat(lr);
  const epsilon = f32x4.splat(eps);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    let p = v128.load(param + o);
    p = f32x4.mul(p, decay);
    const gr = f32x4.add(v128.load(grad + o), f32x4.mul(wd, p));
    const mv = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(oneMinusB1, gr));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(f32x4.mul(oneMinusB2, gr), gr));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const denom = f32x4.add(f32x4.sqrt(f32x4.mul(vv, inverseC2)), epsilon);
    p = f32x4.sub(p, f32x4.div(f32x4.mul(rate, f32x4.mul(mv, inverseC1)), denom));
    v128.store(param + o, p);
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    let p = load<f32>(param + o) * decayFactor;
    const gr = load<f32>(grad + o) + weightDecay * p;
    const mv = beta1 * load<f32>(m + o) + oneMinusBeta1 * gr;
    const vv = beta2 * load<f32>(v + o) + oneMinusBeta2 * gr * gr;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    p -= lr * (mv * inverseCorrection1) / (Mathf.sqrt(vv * inverseCorrection2) + eps);
    store<f32>(param + o, p);
  }
}

export function sgdStep(param: usize, grad: usize, velocity: usize, start: i32, end: i32,
  lr: f32, momentum: f32, nesterov: i32, weightDecay: f32): void {
  const rate = f32x4.splat(lr);
  const mu = f32x4.splat(momentum);
  const wd = f32x4.splat(weightDecay);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    const gr = f32x4.add(v128.load(grad + o), f32x4.mul(wd, p));
    if (momentum == 0) {
      v128.store(param + o, f32x4.sub(p, f32x4.mul(rate, gr)));
      continue;
    }
    const vel = f32x4.add(f32x4.mul(mu, v128.load(velocity + o)), gr);
    v128.store(velocity + o, vel);
    const step = nesterov ? f32x4.add(gr, f32x4.mul(mu, vel)) : vel;
    v128.store(param + o, f32x4.sub(p, f32x4.mul(rate, step)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(param + o);
    const gr = load<f32>(grad + o) + weightDecay * p;
    if (momentum == 0) {
      store<f32>(param + o, p - lr * gr);
      continue;
    }
    const vel = momentum * load<f32>(velocity + o) + gr;
    store<f32>(velocity + o, vel);
    store<f32>(param + o, p - lr * (nesterov ? gr + momentum * vel : vel));
  }
}
