import { StepgateError } from '../errors';

/**
 * A bug or misconfiguration in the step-up wiring (a broken random source, a short pepper or signing key, an
 * out-of-range TTL). Client input never causes it: every function that reads client input returns a result union
 * instead. Handlers should treat it as an internal error and, in a trigger, fail the challenge rather than pass it.
 */
export class StepUpInternalError extends StepgateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('step_up_internal', message, options);
  }
}
