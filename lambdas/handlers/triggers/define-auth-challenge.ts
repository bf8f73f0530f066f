import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import { parseClientMetadata } from '../../core/step-up/client-metadata';
import { verifyDecisionToken } from '../../core/step-up/decision-token';
import { evaluateSession, type SessionEntry, type SessionEvaluation } from '../../core/step-up/define-auth-challenge';
import type { Clock } from '../../ports/clock';
import {
  clientMetadataOf,
  isUserNotFound,
  jsonLog,
  userIdentifiers,
  type CognitoTrigger,
  type DecisionTokenSettings,
  type TriggerLog,
} from './trigger-support';

export interface DefineAuthChallengeDependencies {
  readonly clock: Clock;
  readonly decisionTokens: DecisionTokenSettings;
  readonly log?: TriggerLog;
}

type DefineResponse = DefineAuthChallengeTriggerEvent['response'];

const FAIL: DefineResponse = { issueTokens: false, failAuthentication: true };
const ISSUE: DefineResponse = { issueTokens: true, failAuthentication: false };

function hasVerifiedPassword(session: readonly SessionEntry[]): boolean {
  return (
    session[0]?.challengeName === 'SRP_A' &&
    session[0].challengeResult === true &&
    session[1]?.challengeName === 'PASSWORD_VERIFIER' &&
    session[1].challengeResult === true
  );
}

/**
 * Define Auth Challenge: the sequence logic. The pure core (`evaluateSession`) checks every session entry's name,
 * result and metadata and fails anything but the one protocol of DESIGN §5. One addition lives here because it
 * needs a key: a password-first sign-in whose signed decision is `allow` gets tokens right after the context round
 * (no code), and only when the password was verified in this very session.
 */
export class DefineAuthChallengeService {
  private readonly log: TriggerLog;

  constructor(private readonly deps: DefineAuthChallengeDependencies) {
    this.log = deps.log ?? jsonLog;
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
      this.log({ level: 'ERROR', trigger: 'define', event: 'define_failed', error: (error as Error)?.name });
    }
    this.log({
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
    const evaluation: SessionEvaluation = evaluateSession(session ?? (raw as SessionEntry[]), { userNotFound });
    switch (evaluation.outcome) {
      case 'fail':
        return { response: FAIL, outcome: `fail:${evaluation.reason}` };
      case 'issue_tokens':
        return { response: ISSUE, outcome: 'issue_tokens' };
      case 'challenge':
        break;
    }
    if (evaluation.next === 'PASSWORD_VERIFIER') {
      return {
        response: { challengeName: 'PASSWORD_VERIFIER', issueTokens: false, failAuthentication: false },
        outcome: 'password',
      };
    }
    if (evaluation.next === 'CODE' && evaluation.codeRounds === 0 && session) {
      const allowed = await this.signedAllow(event);
      if (allowed) {
        const ok = hasVerifiedPassword(session) && !userNotFound;
        return { response: ok ? ISSUE : FAIL, outcome: ok ? 'issue_tokens:allow' : 'fail:allow_without_password' };
      }
    }
    return {
      response: { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false },
      outcome: evaluation.next === 'CONTEXT' ? 'challenge:context' : 'challenge:code',
    };
  }

  /** True only for a valid decision token of this user that says `allow` (Verify already checked it in the round). */
  private async signedAllow(event: DefineAuthChallengeTriggerEvent): Promise<boolean> {
    const parsed = parseClientMetadata(clientMetadataOf(event));
    if (!parsed.ok || parsed.value.kind !== 'sign_in') return false;
    const verified = await verifyDecisionToken(parsed.value.decisionToken, await this.deps.decisionTokens.key(), {
      issuer: this.deps.decisionTokens.issuer,
      expectedUsername: userIdentifiers(event),
      now: this.deps.clock(),
    });
    return verified.ok && verified.claims.decision === 'allow';
  }
}

export function buildDefineAuthChallengeHandler(
  deps: DefineAuthChallengeDependencies,
): CognitoTrigger<DefineAuthChallengeTriggerEvent> {
  return new DefineAuthChallengeService(deps).handle;
}
