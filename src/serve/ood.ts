// "This may not be a digit": an out-of-distribution cue from one prediction's probabilities. The score
// is the predictive entropy (nats, 0 = certain, ln 10 = uniform); inputs above the threshold are flagged.
// The threshold keeps 95% of MNIST test digits unflagged for the shipped CNN; scripts/measure-ood.ts
// measures it and how many scribbles it catches (docs/deploy.md has the numbers).

/** Entropy above which the page says "this may not be a digit" (mnist-cnn: the 95th percentile on MNIST test digits). */
export const OOD_ENTROPY_THRESHOLD = 0.36;

/** Predictive entropy -sum p log p of one probability vector, in nats. */
export function predictiveEntropy(probabilities: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/** The cue for one prediction: its entropy and whether it is above `threshold`. */
export function outOfDistribution(probabilities: ArrayLike<number>, threshold = OOD_ENTROPY_THRESHOLD): { entropy: number; flagged: boolean } {
  const entropy = predictiveEntropy(probabilities);
  return { entropy, flagged: entropy > threshold };
}
