import type { DecisionState } from '../../ports/decision-store';
import type { Idempotency, IdempotencyCheck } from './collaborators';
import type { DecisionRequest } from './decision-request';

/**
 * Request ids scoped to the app that sent them (one app's id never replays another app's answer), told apart by a
 * keyed digest of the body: the same id with the same body replays the first answer, with another body it is a
 * reused id (409), never a silent replay of someone else's answer.
 */
export class ClientScopedIdempotency implements Idempotency {
  keyOf(request: DecisionRequest): string | undefined {
    return request.requestId ? `${request.clientId}#${request.requestId}` : undefined;
  }

  check(request: DecisionRequest, replay: DecisionState['replay']): IdempotencyCheck {
    if (!replay) return { kind: 'fresh' };
    return replay.bodyHash === request.bodyDigest ? { kind: 'replay', response: replay.response } : { kind: 'reused' };
  }
}
