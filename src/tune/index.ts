// Model selection: k-fold cross-validation of a model spec, hyper-parameter search scored by it,
// and the activation and overfitting experiments behind `zerograd cv / tune / experiment`.
export { trainSpec, scoreModel, type TrainSpecOptions, type SpecRun, type Scores } from './run-spec.js';
export { crossValidate, type CrossValidationOptions, type CrossValidationResult, type FoldResult } from './cross-validate.js';
export {
  applyCandidate, checkValues, DEFAULT_SPACE, describeCandidate, gridCandidates, randomCandidates, SEARCH_PARAMS,
  type Candidate, type SearchParam, type SearchSpace,
} from './search-space.js';
export { bestSpec, rankTrials, runSearch, type SearchOptions, type TrialResult } from './search.js';
export {
  activationConclusion, activationSpec, denseGradientNorms, runActivations, summarizeActivations,
  type ActivationRun, type ActivationSettings, type ActivationSummary,
} from './activations.js';
export {
  DEFAULT_STRENGTHS, OVERFIT_ARMS, overfitSpec, overfittingConclusion, runOverfitting, smallSplits, summarizeOverfitting,
  type OverfitArm, type OverfitRun, type OverfitSettings, type OverfitSummary, type RegularizationStrengths,
} from './overfitting.js';
