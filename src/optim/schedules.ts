// Learning-rate schedules as pure functions of the step (0-based) over a run of `totalSteps`.
import { ZerogradError } from '../errors.js';

export type ScheduleConfig =
  | { type: 'constant' }
  | { type: 'step'; stepSize: number; gamma?: number }
  | { type: 'cosine'; minLr?: number; warmupSteps?: number }
  | { type: 'onecycle'; maxLr?: number; pctStart?: number; divFactor?: number; finalDivFactor?: number };

/** The learning rate at `step` for base rate `lr` under `schedule`. */
export function learningRateAt(schedule: ScheduleConfig, lr: number, step: number, totalSteps: number): number {
  const total = Math.max(1, totalSteps);
  switch (schedule.type) {
    case 'constant':
      return lr;
    case 'step': {
      if (!(schedule.stepSize > 0)) throw new ZerogradError(`step schedule: stepSize must be > 0, got ${schedule.stepSize}`);
      return lr * (schedule.gamma ?? 0.1) ** Math.floor(step / schedule.stepSize);
    }
    case 'cosine': {
      const warmup = schedule.warmupSteps ?? 0;
      const minLr = schedule.minLr ?? 0;
      if (step < warmup) return (lr * (step + 1)) / warmup;
      const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
      return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
    }
    case 'onecycle': {
      // Linear warm-up from maxLr/div to maxLr, then cosine annealing to maxLr/(div*finalDiv).
      const maxLr = schedule.maxLr ?? lr;
      const pct = schedule.pctStart ?? 0.3;
      const initial = maxLr / (schedule.divFactor ?? 25);
      const final = initial / (schedule.finalDivFactor ?? 1e4);
      const peak = Math.max(1, Math.floor(pct * total));
      if (step < peak) return initial + ((maxLr - initial) * step) / peak;
      const progress = Math.min(1, (step - peak) / Math.max(1, total - peak));
      return final + 0.5 * (maxLr - final) * (1 + Math.cos(Math.PI * progress));
    }
    default:
      throw new ZerogradError(`unknown schedule ${JSON.stringify(schedule)}; expected constant, step, cosine or onecycle`);
  }
}
