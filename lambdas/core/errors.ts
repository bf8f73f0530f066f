/**
 * Typed errors of the pure core. Handlers map `code` to an HTTP status and a client-facing message, so codes are
 * stable, snake_case and never contain personal data. Add new errors as small subclasses.
 */
export class StepgateError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The decision request names an action that the active policy's catalogue does not define (HTTP 400). */
export class UnknownActionError extends StepgateError {
  readonly action: string;
  /** The request field at fault, so the API can name it in its 400 answer. */
  readonly field = 'action';

  constructor(action: string, options?: { cause?: unknown }) {
    super('unknown_action', `unknown action "${action.slice(0, 100)}"`, options);
    this.action = action;
  }
}
