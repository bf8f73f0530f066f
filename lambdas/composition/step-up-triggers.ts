import { randomBytes, randomInt } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RandomInt } from '../core/step-up/otp-code';
import { AesGcmSealer, DynamoDbChallengeStore } from '../adapters/dynamodb/dynamodb-challenge-store';
import { globalKeys } from '../adapters/dynamodb/population-counts';
import type { TableNames } from '../adapters/dynamodb/table-definitions';
import { JoseTokenVerifier } from '../adapters/jose-token-verifier';
import { buildCreateAuthChallengeHandler } from '../handlers/triggers/create-auth-challenge';
import { buildDefineAuthChallengeHandler } from '../handlers/triggers/define-auth-challenge';
import { buildPostAuthenticationHandler } from '../handlers/triggers/post-authentication';
import { buildPreTokenGenerationHandler } from '../handlers/triggers/pre-token-generation';
import { StepUpBindingResolver } from '../handlers/triggers/step-up-binding';
import type { DecisionTokenSettings, TokenVerifierProvider, TriggerLog } from '../handlers/triggers/trigger-support';
import { buildVerifyAuthChallengeHandler } from '../handlers/triggers/verify-auth-challenge';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { AuditLog } from '../ports/audit-log';
import type { Clock } from '../ports/clock';
import type { CodeChannel, CodeSender, OneTimeCodeMessage } from '../ports/code-sender';
import { CodeDeliveryError } from '../ports/code-sender';

/**
 * Access tokens of the pool that invoked the trigger, checked like API Gateway's JWT authorizer: the pool's
 * issuer (from the event: triggers cannot be given the pool id as a variable), its JWKS, and the app client that
 * runs the custom auth as audience. One verifier (and JWKS cache) per issuer and client for the container's life.
 */
export function cognitoAccessTokens(clock?: Clock): TokenVerifierProvider {
  const verifiers = new Map<string, JoseTokenVerifier>();
  return ({ region, userPoolId, clientId }) => {
    const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
    const cacheKey = `${issuer}|${clientId}`;
    let verifier = verifiers.get(cacheKey);
    if (!verifier) {
      verifier = new JoseTokenVerifier({
        issuer,
        audiences: [clientId],
        jwks: new URL(`${issuer}/.well-known/jwks.json`),
        tokenUse: 'access',
        ...(clock ? { now: clock } : {}),
      });
      verifiers.set(cacheKey, verifier);
    }
    return verifier;
  };
}

/** Sends each message with the sender for its channel (SES for e-mail, SNS for SMS). */
export function channelSender(senders: Partial<Record<CodeChannel, CodeSender>>): CodeSender {
  return {
    send(message: OneTimeCodeMessage) {
      const sender = senders[message.channel];
      return sender ? sender.send(message) : Promise.reject(new CodeDeliveryError(message.channel));
    },
  };
}

export interface StepUpTriggersComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: Pick<TableNames, 'risk'>;
  readonly clock: Clock;
  readonly secrets: AppSecretsSource;
  /** See decisionTokenIssuer. */
  readonly decisionTokenIssuer: string;
  /** Only Create sends; the other functions can leave it out. */
  readonly codeSender?: CodeSender;
  /** Defaults to the invoking pool's own issuer and JWKS (AWS); the local runtime passes its emulated pool. */
  readonly accessTokens?: TokenVerifierProvider;
  /** The audit trail; when absent, nothing is audited (tests, or a deployment without the audit table). */
  readonly audit?: AuditLog;
  readonly onAuditFailure?: () => void;
  readonly onVerification?: (outcome: 'pass' | 'fail') => void;
  readonly log?: TriggerLog;
  readonly randomInt?: RandomInt;
  readonly newChallengeId?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
  /** See PreTokenGenerationDependencies: the local runtime's script client only; never set in AWS. */
  readonly ungatedClientIds?: readonly string[];
}

/**
 * Builds the five Cognito trigger handlers from clients and configuration: shared by the Lambda wiring (one
 * function per trigger, each exporting one of these) and the local Cognito emulator (all five in-process).
 */
export function composeStepUpTriggers(c: StepUpTriggersComposition) {
  const pepper = async () => (await c.secrets.get()).otpPepper;
  const store = new DynamoDbChallengeStore(c.dynamo, c.tables, {
    sealer: new AesGcmSealer(pepper),
    globalKeys,
  });
  const decisionTokens: DecisionTokenSettings = {
    issuer: c.decisionTokenIssuer,
    key: async () => (await c.secrets.get()).decisionTokenKey,
  };
  const accessTokens = c.accessTokens ?? cognitoAccessTokens(c.clock);
  const binding = new StepUpBindingResolver({
    stepUps: store,
    challenges: store,
    accessTokens,
    decisionTokens,
  });
  const common = {
    clock: c.clock,
    ...(c.log ? { log: c.log } : {}),
    ...(c.audit ? { audit: c.audit } : {}),
    ...(c.onAuditFailure ? { onAuditFailure: c.onAuditFailure } : {}),
  };
  const codeSender =
    c.codeSender ??
    ({
      send: (message) => Promise.reject(new CodeDeliveryError(message.channel)),
    } satisfies CodeSender);

  return {
    store,
    defineAuthChallenge: buildDefineAuthChallengeHandler({
      clock: c.clock,
      decisionTokens,
      accessTokens,
      approvals: store,
      ...(c.log ? { log: c.log } : {}),
    }),
    createAuthChallenge: buildCreateAuthChallengeHandler({
      ...common,
      challenges: store,
      stepUps: store,
      binding,
      codeSender,
      pepper,
      randomInt: c.randomInt ?? ((max) => randomInt(max)),
      newChallengeId: c.newChallengeId ?? (() => randomBytes(16).toString('base64url')),
      ...(c.sleep ? { sleep: c.sleep } : {}),
    }),
    verifyAuthChallengeResponse: buildVerifyAuthChallengeHandler({
      ...common,
      challenges: store,
      stepUps: store,
      totp: store,
      binding,
      pepper,
      ...(c.onVerification ? { onVerification: c.onVerification } : {}),
    }),
    preTokenGeneration: buildPreTokenGenerationHandler({
      clock: c.clock,
      stepUps: store,
      approvals: store,
      decisionTokens,
      ...(c.ungatedClientIds ? { ungatedClientIds: c.ungatedClientIds } : {}),
      ...(c.log ? { log: c.log } : {}),
    }),
    postAuthentication: buildPostAuthenticationHandler({ ...common, stepUps: store, approvals: store, decisionTokens }),
  };
}

export type StepUpTriggers = Omit<ReturnType<typeof composeStepUpTriggers>, 'store'>;
