// Errors meant for users: each message says what was wrong, where, and what was expected.

/** Base class of every user-facing zerograd error. The CLI prints its message (no stack) and exits non-zero. */
export class ZerogradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor shape or dtype that an op cannot accept. */
export class ShapeError extends ZerogradError {}

/** A data file or data set that is missing, truncated or malformed. */
export class DataError extends ZerogradError {}

/** A bad command-line flag or configuration value. */
export class UsageError extends ZerogradError {}
