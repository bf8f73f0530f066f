import { wwwAuthenticate } from '../../core/risk/www-authenticate';
import type { IssuedStepUp, StepUpIssuer } from './collaborators';

/** How long a pending step-up can be completed. The grant's own validity is the action level's max age. */
export const STEP_UP_TTL_MS = 10 * 60_000;

/**
 * Pending step-ups bound to what asked for them: the user, the action, the decision, the device and session, and
 * the request in its stored form (which a passed step-up teaches to the profile).
 */
export class PendingStepUps implements StepUpIssuer {
  constructor(private readonly newId: () => string) {}

  issue(input: Parameters<StepUpIssuer['issue']>[0]): IssuedStepUp {
    const { request, requirement, features } = input;
    const expiresAt = request.receivedAt + STEP_UP_TTL_MS;
    const stored = {
      stepUpId: this.newId(),
      userId: request.userId,
      action: request.action,
      decisionId: input.decisionId,
      acr: requirement.acr,
      methods: requirement.methods,
      maxAgeSeconds: requirement.maxAgeSeconds,
      status: 'pending' as const,
      createdAt: request.receivedAt,
      expiresAt,
      consumed: false,
      ...(features.deviceId ? { deviceId: features.deviceId } : {}),
      ...(request.sessionId ? { sessionId: request.sessionId } : {}),
      features,
      revision: 0,
    };
    return {
      stored,
      answer: {
        id: stored.stepUpId,
        acrValues: [requirement.acr],
        maxAge: requirement.maxAgeSeconds,
        methods: requirement.methods,
        expiresAt: new Date(expiresAt).toISOString(),
      },
      wwwAuthenticate: wwwAuthenticate(requirement),
    };
  }
}
