// The error thrown for bad report or chart input.
import { ZerogradError } from '../errors.js';

/** Report or chart input that cannot be drawn: the message names the field, the index and what was expected. */
export class ReportError extends ZerogradError {}
