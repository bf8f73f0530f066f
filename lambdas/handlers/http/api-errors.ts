/**
 * Errors that handlers raise for the client's benefit. Each carries a stable machine code; the HTTP status is
 * decided in one place (`statusForCode`) at the edge, so core and adapters never think in HTTP terms.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request is malformed; `field` names the offending part (dotted path) so clients can fix it. */
export class InvalidRequestError extends ApiError {
  constructor(
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super('invalid_request', message, field ? { field } : undefined, options);
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'You are not allowed to do this') {
    super('forbidden', message);
  }
}

export class ConflictError extends ApiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

export class PreconditionRequiredError extends ApiError {
  constructor(message: string) {
    super('precondition_required', message);
  }
}

/**
 * The request needs a passed step-up for `action` that it did not present (`stepUpId`): ask the decision API for
 * that action, complete the step-up, and repeat the request with its id.
 */
export class StepUpRequiredError extends ApiError {
  constructor(action: string, message: string) {
    super('step_up_required', message, { field: 'stepUpId', action });
  }
}

/** The step-up presented cannot authorise this request: `why` says which rule it fails. */
export class StepUpInvalidError extends ApiError {
  constructor(action: string, why: string) {
    super('step_up_invalid', `stepUpId: ${why}; complete a new step-up for ${action}`, {
      field: 'stepUpId',
      action,
    });
  }
}

const STATUS_BY_CODE: Record<string, number> = {
  invalid_request: 400,
  unknown_action: 400,
  invalid_policy: 400,
  unauthorized: 401,
  forbidden: 403,
  step_up_required: 403,
  step_up_invalid: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  precondition_required: 428,
  rate_limited: 429,
  service_unavailable: 503,
};

export function statusForCode(code: string): number | undefined {
  return STATUS_BY_CODE[code];
}
