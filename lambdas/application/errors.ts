import { StepgateError } from '../core/errors';

/** The codes a workflow refuses with; the HTTP edge maps each to its status (`statusForCode`). */
export type WorkflowErrorCode =
  | 'invalid_request'
  | 'invalid_policy'
  | 'not_found'
  | 'forbidden'
  | 'conflict'
  | 'rate_limited'
  | 'step_up_required'
  | 'step_up_invalid';

/**
 * A request a workflow refuses, for a reason the caller can act on: a stable code, a message that names the field
 * or rule at fault, and details for the client (`field`, the current version...). Never personal data.
 */
export class WorkflowError extends StepgateError {
  constructor(
    code: WorkflowErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Bad input that only the workflow can judge (a version that does not exist, a window too long...). */
export class InvalidInputError extends WorkflowError {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super('invalid_request', message, { field }, options);
  }
}

export class NotFoundError extends WorkflowError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** The caller may not do this, whatever the input: a rule names who may. */
export class RefusedError extends WorkflowError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** The state moved under the request (a concurrent writer, a stale version): read again and retry. */
export class ConflictError extends WorkflowError {
  constructor(message: string, details?: Readonly<Record<string, unknown>>) {
    super('conflict', message, details);
  }
}
