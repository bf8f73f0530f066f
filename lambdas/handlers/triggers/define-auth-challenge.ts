import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import {
  evaluateSession,
  type SessionCaller,
  type SessionEntry,
  type SessionEvaluation,
} from '../../core/step-up/define-auth-challenge';
import type { SessionApprovalStore } from '../../ports/challenge-store';
import type { Clock } from '../../ports/clock';
import type { Log } from '../../ports/log';
import { identifyCaller, type VerifiedCaller } from './step-up-binding';
import {
  clientMetadataOf,
  isUserNotFound,
  type CognitoTrigger,
  type DecisionTokenSettings,
  type TokenVerifierProvider,
} from './trigger-support';

export interface DefineAuthChallengeDependencies {
  readonly clock: Clock;
  readonly decisionTokens: DecisionTokenSettings;
  /** Verifies a signed-in user's access token in ClientMetadata (a step-up, which needs no password). */
  readonly accessTokens: TokenVerifierProvider;
  /** Where Define records the sessions it lets through, for pre token generation and post authentication. */
  readonly approvals: Pick<SessionApprovalStore, 'approve'>;
  readonly log: Log;
}

type DefineResponse = DefineAuthChallengeTriggerEvent['response'];

const FAIL: DefineResponse = { issueTokens: false, failAuthentication: true };
const ISSUE: DefineResponse = { issueTokens: true, failAuthentication: false };

function sessionCaller(caller: VerifiedCaller | undefined): SessionCaller {
  if (!caller?.ok) return 'unverified';
  return caller.kind === 'step_up' ? 'signed_in_user' : 'sign_in';
}

/**
 * Define Auth Challenge: the sequence logic. The pure core (`evaluateSession`) checks every session entry's name,
 * result and metadata, and whether this caller may go without the password; what needs keys lives here: who the
 * round's ClientMetadata verifiably speaks for (an access token of this user, or a decision token naming them),
 * and, for a password-first sign-in whose signed decision is `allow`, tokens right after the context round.
 *
 * Every session it lets through is recorded (an approval keyed by the decision or step-up it named, with whether
 * the password was proven in it): pre token generation issues tokens only against such a record, so a sign-in that
 * never came through here (a flow without these triggers) gets none. Without the record, no tokens.
 */
export class DefineAuthChallengeService {
  private readonly log: Log;

  constructor(private readonly deps: DefineAuthChallengeDependencies) {
    this.log = deps.log;
  }

  readonly handle: CognitoTrigger<DefineAuthChallengeTriggerEvent> = async (event) => {
    let response: DefineResponse;
    let outcome: string;
    try {
      ({ response, outcome } = await this.decide(event));
    } catch (error) {
      // A trigger that cannot decide fails the sign-in; it never lets one through.
      response = FAIL;
      outcome = 'error';
      this.log.error('define auth challenge failed', { trigger: 'define', error: (error as Error)?.name });
    }
    this.log.info('define auth challenge', {
      trigger: 'define',
      outcome,
      rounds: Array.isArray(event.request?.session) ? event.request.session.length : 0,
    });
    event.response = response;
    return event;
  };

  private async decide(event: DefineAuthChallengeTriggerEvent): Promise<{ response: DefineResponse; outcome: string }> {
    const raw: unknown = event.request?.session;
    const session = (Array.isArray(raw) ? raw : undefined) as SessionEntry[] | undefined;
    const userNotFound = isUserNotFound(event);
    const now = this.deps.clock();
    // The first call (and the PASSWORD_VERIFIER one) has no ClientMetadata to verify.
    const caller = clientMetadataOf(event) === undefined ? undefined : await identifyCaller(event, this.deps, now);
    const evaluation: SessionEvaluation = evaluateSession(session ?? (raw as SessionEntry[]), {
      userNotFound,
      caller: sessionCaller(caller),
    });
    switch (evaluation.outcome) {
      case 'fail':
        return { response: FAIL, outcome: `fail:${evaluation.reason}` };
      case 'issue_tokens':
        return this.approve(event, caller, evaluation.passwordVerified, now, 'issue_tokens');
      case 'challenge':
        break;
    }
    if (evaluation.next === 'PASSWORD_VERIFIER') {
      return {
        response: { challengeName: 'PASSWORD_VERIFIER', issueTokens: false, failAuthentication: false },
        outcome: 'password',
      };
    }
    // A signed `allow` needs no code; the core has already refused it without the password.
    if (
      evaluation.next === 'CODE' &&
      evaluation.codeRounds === 0 &&
      caller?.ok &&
      caller.kind === 'sign_in' &&
      caller.claims.decision === 'allow'
    ) {
      if (!evaluation.passwordVerified || userNotFound) {
        return { response: FAIL, outcome: 'fail:allow_without_password' };
      }
      return this.approve(event, caller, evaluation.passwordVerified, now, 'issue_tokens:allow');
    }
    return {
      response: { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false },
      outcome: evaluation.next === 'CONTEXT' ? 'challenge:context' : 'challenge:code',
    };
  }

  private async approve(
    event: DefineAuthChallengeTriggerEvent,
    caller: VerifiedCaller | undefined,
    passwordVerified: boolean,
    now: number,
    outcome: string,
  ): Promise<{ response: DefineResponse; outcome: string }> {
    if (!caller?.ok) return { response: FAIL, outcome: 'fail:unverified_caller' };
    const approved = await this.deps.approvals.approve(
      caller.kind === 'step_up'
        ? {
            kind: 'step_up',
            id: caller.stepUpId,
            stepUpId: caller.stepUpId,
            userName: event.userName,
            passwordVerified,
            approvedAt: now,
          }
        : {
            kind: 'sign_in',
            id: caller.claims.decisionId,
            ...(caller.claims.stepUpId !== undefined ? { stepUpId: caller.claims.stepUpId } : {}),
            userName: event.userName,
            passwordVerified,
            approvedAt: now,
          },
    );
    return approved ? { response: ISSUE, outcome } : { response: FAIL, outcome: 'fail:already_used' };
  }
}

export function buildDefineAuthChallengeHandler(
  deps: DefineAuthChallengeDependencies,
): CognitoTrigger<DefineAuthChallengeTriggerEvent> {
  return new DefineAuthChallengeService(deps).handle;
}
