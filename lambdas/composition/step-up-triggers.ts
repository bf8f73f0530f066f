import { randomBytes, randomInt } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RandomInt } from '../core/step-up/otp-code';
import { AesGcmSealer } from '../adapters/aes-gcm-sealer';
import { DynamoDbAuthenticatorStore } from '../adapters/dynamodb/dynamodb-authenticator-store';
import { DynamoDbChallengeStore } from '../adapters/dynamodb/dynamodb-challenge-store';
import { DynamoDbGrantStore } from '../adapters/dynamodb/dynamodb-grant-store';
import { DynamoDbSessionApprovalStore } from '../adapters/dynamodb/dynamodb-session-approval-store';
import { globalKeys } from '../adapters/dynamodb/items/population';
import type { TableNames } from '../contracts/tables';
import { JoseTokenVerifier } from '../adapters/jose-token-verifier';
import { PowertoolsLog } from '../adapters/powertools-log';
import { buildCreateAuthChallengeHandler } from '../handlers/triggers/create-auth-challenge';
import { buildDefineAuthChallengeHandler } from '../handlers/triggers/define-auth-challenge';
import { buildPostAuthenticationHandler } from '../handlers/triggers/post-authentication';
import { buildPreTokenGenerationHandler } from '../handlers/triggers/pre-token-generation';
import { StepUpBindingResolver } from '../handlers/triggers/step-up-binding';
import type { DecisionTokenSettings, TokenVerifierProvider } from '../handlers/triggers/trigger-support';
import { buildVerifyAuthChallengeHandler } from '../handlers/triggers/verify-auth-challenge';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { AuditLog } from '../ports/audit-log';
import type { Clock } from '../ports/clock';
import type { CodeChannel, CodeSender, OneTimeCodeMessage } from '../ports/code-sender';
import { CodeDeliveryError } from '../ports/code-sender';
import type { Log } from '../ports/log';

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
  /** Where the triggers log their outcomes (defaults to a Powertools logger at its default level). */
  readonly log?: Log;
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
  const challenges = new DynamoDbChallengeStore(c.dynamo, c.tables);
  const stepUps = new DynamoDbGrantStore(c.dynamo, c.tables, { globalKeys });
  const approvals = new DynamoDbSessionApprovalStore(c.dynamo, c.tables);
  // The triggers only read authenticators (and record used time steps): no audited changes, so no audit log.
  const totp = new DynamoDbAuthenticatorStore(c.dynamo, c.tables, { sealer: new AesGcmSealer(pepper) });
  const decisionTokens: DecisionTokenSettings = {
    issuer: c.decisionTokenIssuer,
    key: async () => (await c.secrets.get()).decisionTokenKey,
  };
  const accessTokens = c.accessTokens ?? cognitoAccessTokens(c.clock);
  const binding = new StepUpBindingResolver({
    stepUps,
    challenges,
    accessTokens,
    decisionTokens,
  });
  const log = c.log ?? new PowertoolsLog();
  const common = {
    clock: c.clock,
    log,
    ...(c.audit ? { audit: c.audit } : {}),
    ...(c.onAuditFailure ? { onAuditFailure: c.onAuditFailure } : {}),
  };
  const codeSender =
    c.codeSender ??
    ({
      send: (message) => Promise.reject(new CodeDeliveryError(message.channel)),
    } satisfies CodeSender);

  return {
    defineAuthChallenge: buildDefineAuthChallengeHandler({
      clock: c.clock,
      decisionTokens,
      accessTokens,
      approvals,
      log,
    }),
    createAuthChallenge: buildCreateAuthChallengeHandler({
      ...common,
      challenges,
      stepUps,
      binding,
      codeSender,
      pepper,
      randomInt: c.randomInt ?? ((max) => randomInt(max)),
      newChallengeId: c.newChallengeId ?? (() => randomBytes(16).toString('base64url')),
      ...(c.sleep ? { sleep: c.sleep } : {}),
    }),
    verifyAuthChallengeResponse: buildVerifyAuthChallengeHandler({
      ...common,
      challenges,
      stepUps,
      totp,
      binding,
      pepper,
      ...(c.onVerification ? { onVerification: c.onVerification } : {}),
    }),
    preTokenGeneration: buildPreTokenGenerationHandler({
      clock: c.clock,
      stepUps,
      approvals,
      decisionTokens,
      ...(c.ungatedClientIds ? { ungatedClientIds: c.ungatedClientIds } : {}),
      log,
    }),
    postAuthentication: buildPostAuthenticationHandler({ ...common, stepUps, approvals, decisionTokens }),
  };
}

export type StepUpTriggers = ReturnType<typeof composeStepUpTriggers>;
