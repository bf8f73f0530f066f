import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  CreateAuthChallengeTriggerEvent,
  DefineAuthChallengeTriggerEvent,
  PostAuthenticationTriggerEvent,
  PreTokenGenerationV2TriggerEvent,
  VerifyAuthChallengeResponseTriggerEvent,
} from 'aws-lambda';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { JoseTokenVerifier } from '../adapters/jose-token-verifier';
import { OutboxCodeSender } from '../adapters/outbox-code-sender';
import { correlationIds, PowertoolsLog } from '../adapters/powertools-log';
import { EphemeralAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { decisionTokenIssuer, decisionTokenSigner } from '../composition/decision-token';
import { composeStepUpTriggers } from '../composition/step-up-triggers';
import { errorSummaries } from '../handlers/http/error-log';
import { composeTotpEnrollment } from '../composition/totp';
import type { SessionEntry } from '../core/step-up/define-auth-challenge';
import type { CognitoTrigger, TokenVerifierProvider } from '../handlers/triggers/trigger-support';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { Log } from '../ports/log';
import { readBody } from './http-gateway';
import { localLambdaContext } from './lambda-context';
import {
  createVerifier,
  padHex,
  parsePublicValue,
  poolNameOf,
  startServerRound,
  verifyPasswordClaim,
  type SrpServerRound,
  type SrpVerifier,
} from './cognito-srp';
import type { LocalAppClient, LocalIdentities, LocalUser, UserAuthFlow } from './local-identities';
import type { LocalIssuer } from './local-issuer';
import type { LocalService } from './local-wiring';
import { Outbox } from './outbox';
import type { LocalContext } from './runtime';

/**
 * A local stand-in for the parts of a Cognito user pool that stepgate needs: the `InitiateAuth` /
 * `RespondToAuthChallenge` JSON wire protocol (and `GetUser`), on the local runtime's port, running the project's
 * real trigger handlers with events shaped like Cognito's. The unmodified `@aws-sdk/client-cognito-identity-provider`
 * client, pointed at the runtime with `endpoint`, drives the whole custom-auth flow against it, and an unmodified
 * SRP client (amazon-cognito-identity-js) proves passwords to it.
 *
 * Sign-in is `CUSTOM_AUTH` with `CHALLENGE_NAME: SRP_A`: Define Auth Challenge sees `[SRP_A ✓]` and answers
 * `PASSWORD_VERIFIER`; the client proves the password with Cognito's SRP variant (see cognito-srp.ts); a wrong
 * password is refused at once ("Incorrect username or password.", as for an unknown user, after the same work) and
 * Define is called again with `[SRP_A ✓, PASSWORD_VERIFIER ✓]` only when it was right. The user records keep an SRP
 * salt and verifier, computed at start-up, not the password.
 *
 * App clients allow only their flows (`local-web`: CUSTOM_AUTH and REFRESH_TOKEN_AUTH, like the deployed web client;
 * `local-script`, local only: USER_PASSWORD_AUTH and refresh); any other flow gets Cognito's
 * "<flow> flow not enabled for this client".
 *
 * Cognito semantics kept: sessions are opaque, random, single use, bound to the username and app client, and
 * expire (3 minutes by default); ClientMetadata reaches the challenge, pre-token and post-auth triggers only from
 * RespondToAuthChallenge (InitiateAuth's goes nowhere here, as in Cognito for these triggers); app clients prevent
 * user existence errors (an unknown user gets the same challenges, with `userNotFound: true`, and the same
 * "Incorrect username or password."); a trigger that throws becomes `UserLambdaValidationException`; a trigger
 * that returns a malformed response becomes `InvalidLambdaResponseException`; pre-token claims that Cognito does
 * not let triggers set (acr, amr, sub, ...) are refused. Refresh tokens are opaque, kept in memory, bound to their
 * client, and run pre token generation (`TokenGeneration_RefreshTokens`) but not post authentication. The
 * PASSWORD_VERIFIER TIMESTAMP is checked for Cognito's format only (tests move the emulator's clock, the SRP client
 * signs with the real one). Not emulated: USER_SRP_AUTH, MFA, devices, trigger retries.
 */

export interface CognitoTriggers {
  readonly defineAuthChallenge: CognitoTrigger<DefineAuthChallengeTriggerEvent>;
  readonly createAuthChallenge: CognitoTrigger<CreateAuthChallengeTriggerEvent>;
  readonly verifyAuthChallengeResponse: CognitoTrigger<VerifyAuthChallengeResponseTriggerEvent>;
  readonly preTokenGeneration: CognitoTrigger<PreTokenGenerationV2TriggerEvent>;
  readonly postAuthentication: CognitoTrigger<PostAuthenticationTriggerEvent>;
}

export interface CognitoEmulatorOptions {
  readonly identities: LocalIdentities;
  readonly issuer: LocalIssuer;
  readonly now: () => number;
  readonly triggers: CognitoTriggers;
  readonly region?: string;
  /** Cognito's AuthSessionValidity: 3 minutes by default, 3 to 15 allowed. */
  readonly sessionValidityMs?: number;
  /** Cognito gives a trigger 5 s. */
  readonly triggerTimeoutMs?: number;
}

/** An error as Cognito's JSON protocol returns it: `{"__type", "message"}`; the SDK maps `__type` to its class. */
export class CognitoServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
const MAX_REQUEST_BYTES = 256 * 1024;
const MAX_SESSIONS = 10_000;
const MAX_REFRESH_TOKENS = 10_000;
const REFRESH_TOKEN_VALIDITY_MS = 30 * 24 * 3600_000;
const INCORRECT = 'Incorrect username or password.';
/** Cognito reports this (not the username) on any session problem. */
const INVALID_SESSION = 'Invalid session for the user.';
const SDK_VERSION = 'aws-sdk-unknown-unknown';
/** Claims a pre-token trigger may not add or override (Cognito developer guide, pre token generation). */
const RESERVED_CLAIMS = new Set([
  'acr',
  'amr',
  'aud',
  'at_hash',
  'auth_time',
  'azp',
  'cognito:username',
  'cognito:groups',
  'exp',
  'iat',
  'identities',
  'iss',
  'jti',
  'nbf',
  'nonce',
  'origin_jti',
  'sub',
  'token_use',
]);

/** A user as the emulated pool keeps it: an SRP salt and verifier instead of the password. */
interface PoolUser extends Omit<LocalUser, 'password'> {
  readonly srp: SrpVerifier;
}

interface PasswordVerifierState {
  readonly round: SrpServerRound;
  readonly secretBlock: string;
  readonly userIdForSrp: string;
}

interface PendingRound {
  /** Which challenge this session handle answers: a custom one, or Cognito's own PASSWORD_VERIFIER. */
  readonly kind: 'CUSTOM_CHALLENGE' | 'PASSWORD_VERIFIER';
  readonly username: string;
  readonly user: PoolUser | undefined;
  readonly clientId: string;
  readonly entries: readonly SessionEntry[];
  /** Kept server side, never in the session handle: they may carry the answer. */
  readonly privateParameters: Record<string, string>;
  readonly challengeMetadata?: string;
  readonly srp?: PasswordVerifierState;
  readonly expiresAt: number;
}

interface RoundState {
  username: string;
  user: PoolUser | undefined;
  clientId: string;
  entries: readonly SessionEntry[];
  clientMetadata: StringMap | undefined;
  /** The client's SRP_A, while the session is `[SRP_A]`. */
  clientPublic?: bigint;
}

interface RefreshGrant {
  readonly username: string;
  readonly clientId: string;
  readonly expiresAt: number;
}

type StringMap = Record<string, string>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown, what: string): StringMap | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new CognitoServiceError('InvalidParameterException', `${what} must be a map of strings.`);
  const out: StringMap = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw new CognitoServiceError('InvalidParameterException', `${what}.${key} must be a string.`);
    out[key] = item;
  }
  return out;
}

function requiredString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new CognitoServiceError('InvalidParameterException', `Missing required parameter ${name}`);
  }
  return value;
}

function invalidResponse(trigger: string, detail: string): CognitoServiceError {
  return new CognitoServiceError('InvalidLambdaResponseException', `Invalid ${trigger} response: ${detail}`);
}

function sameSecret(a: string, b: string): boolean {
  // Hash both sides so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

const FLOW_ALIASES: Readonly<Record<string, UserAuthFlow>> = {
  CUSTOM_AUTH: 'CUSTOM_AUTH',
  USER_SRP_AUTH: 'USER_SRP_AUTH',
  USER_PASSWORD_AUTH: 'USER_PASSWORD_AUTH',
  REFRESH_TOKEN_AUTH: 'REFRESH_TOKEN_AUTH',
  REFRESH_TOKEN: 'REFRESH_TOKEN_AUTH',
};

export class CognitoEmulator implements LocalService {
  private readonly sessions = new Map<string, PendingRound>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly users: readonly PoolUser[];
  private readonly poolName: string;
  /** Answers SRP for users that do not exist, so they look like users whose password is wrong. */
  private readonly decoy: { readonly key: Buffer; readonly verifier: SrpVerifier };
  private readonly region: string;
  private readonly sessionValidityMs: number;
  private readonly triggerTimeoutMs: number;
  private readonly accessTokens: JoseTokenVerifier;

  constructor(private readonly options: CognitoEmulatorOptions) {
    this.region = options.region ?? 'us-east-1';
    this.sessionValidityMs = options.sessionValidityMs ?? 3 * 60_000;
    this.triggerTimeoutMs = options.triggerTimeoutMs ?? 5000;
    this.poolName = poolNameOf(options.identities.userPoolId);
    this.users = options.identities.users.map(({ password, ...user }) => ({
      ...user,
      srp: createVerifier(this.poolName, user.username, password),
    }));
    this.decoy = {
      key: randomBytes(32),
      verifier: createVerifier(this.poolName, 'decoy', randomBytes(24).toString('base64')),
    };
    this.accessTokens = new JoseTokenVerifier({
      issuer: options.issuer.issuer,
      audiences: [options.identities.webClient.clientId, options.identities.scriptClient.clientId],
      jwks: options.issuer.jwks(),
      tokenUse: 'access',
      now: options.now,
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if ((req.method ?? '').toUpperCase() !== 'POST' || url.pathname !== '/') return false;
    const target = req.headers['x-amz-target'];
    if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) return false;
    const operation = target.slice(TARGET_PREFIX.length);
    try {
      const body = await readBody(req, MAX_REQUEST_BYTES);
      if (body === 'too_large') throw new CognitoServiceError('InvalidParameterException', 'Request body too large.');
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new CognitoServiceError('SerializationException', 'Malformed request body.');
      }
      if (!isRecord(input))
        throw new CognitoServiceError('SerializationException', 'Request body must be a JSON object.');
      this.send(res, 200, await this.dispatch(operation, input));
    } catch (error) {
      if (error instanceof CognitoServiceError) {
        this.send(res, error.status, { __type: error.type, message: error.message }, error.type);
      } else {
        this.send(res, 500, { __type: 'InternalErrorException', message: 'Internal error.' }, 'InternalErrorException');
      }
    }
    return true;
  }

  private send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': JSON_CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(text);
  }

  private dispatch(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'InitiateAuth':
        return this.initiateAuth(input);
      case 'RespondToAuthChallenge':
        return this.respondToAuthChallenge(input);
      case 'GetUser':
        return this.getUser(input);
      default:
        return Promise.reject(
          new CognitoServiceError(
            'UnknownOperationException',
            `${operation} is not supported by the local Cognito emulator.`,
          ),
        );
    }
  }

  // ---- operations ---------------------------------------------------------------------------------------------

  private async initiateAuth(input: Record<string, unknown>): Promise<unknown> {
    const authFlow = requiredString(input, 'AuthFlow');
    const clientId = requiredString(input, 'ClientId');
    const client = this.requirePublicClient(clientId);
    const flow = FLOW_ALIASES[authFlow];
    if (!flow) {
      throw new CognitoServiceError(
        'InvalidParameterException',
        `${authFlow} is not supported by the local Cognito emulator.`,
      );
    }
    if (!client.authFlows.includes(flow)) {
      throw new CognitoServiceError('InvalidParameterException', `${authFlow} flow not enabled for this client`);
    }
    const parameters = stringMap(input.AuthParameters, 'AuthParameters') ?? {};
    if (flow === 'REFRESH_TOKEN_AUTH') return this.refresh(parameters, clientId);
    const username = parameters.USERNAME;
    if (!username) throw new CognitoServiceError('InvalidParameterException', 'Missing required parameter USERNAME');
    const user = this.findUser(username);

    switch (flow) {
      case 'USER_PASSWORD_AUTH': {
        // Checked against the stored verifier (as Cognito does), with a decoy for an unknown user: same work.
        const credentials = user?.srp ?? this.decoyVerifier(username);
        const candidate = createVerifier(
          this.poolName,
          user?.username ?? 'decoy',
          parameters.PASSWORD ?? '',
          Buffer.from(credentials.salt, 'hex'),
        );
        const ok = sameSecret(candidate.verifier.toString(16), credentials.verifier.toString(16)) && user !== undefined;
        if (!ok) throw new CognitoServiceError('NotAuthorizedException', INCORRECT);
        return this.issueTokens(user, clientId, undefined, 'Authentication');
      }
      case 'CUSTOM_AUTH':
        // InitiateAuth's ClientMetadata is not given to the challenge triggers (Cognito only passes it to pre
        // sign-up, pre authentication and user migration), which is why the protocol has a context round.
        return this.nextRound({
          username: user?.username ?? username,
          user,
          clientId,
          clientMetadata: undefined,
          ...this.customAuthStart(parameters),
        });
      default:
        throw new CognitoServiceError('InvalidParameterException', `${authFlow} flow not enabled for this client`);
    }
  }

  /**
   * `CHALLENGE_NAME: SRP_A` with `SRP_A` starts with Cognito's password check: Define sees `[SRP_A ✓]`. Without
   * them (or with `CHALLENGE_NAME: CUSTOM_CHALLENGE`) Define sees an empty session.
   */
  private customAuthStart(parameters: StringMap): Pick<RoundState, 'entries' | 'clientPublic'> {
    const challengeName = parameters.CHALLENGE_NAME;
    if (challengeName === undefined || challengeName === 'CUSTOM_CHALLENGE') {
      if (parameters.SRP_A !== undefined) {
        throw new CognitoServiceError('InvalidParameterException', 'SRP_A requires CHALLENGE_NAME SRP_A.');
      }
      return { entries: [] };
    }
    if (challengeName !== 'SRP_A') {
      throw new CognitoServiceError('InvalidParameterException', `CHALLENGE_NAME ${challengeName} is not valid here.`);
    }
    if (parameters.SRP_A === undefined) {
      throw new CognitoServiceError('InvalidParameterException', 'Missing required parameter SRP_A');
    }
    const clientPublic = parsePublicValue(parameters.SRP_A);
    if (clientPublic === undefined) throw new CognitoServiceError('InvalidParameterException', 'Invalid SRP_A.');
    return { entries: [{ challengeName: 'SRP_A', challengeResult: true }], clientPublic };
  }

  /** A salt that stays the same for the same unknown username, so repeated tries reveal nothing. */
  private decoyVerifier(username: string): SrpVerifier {
    const salt = createHmac('sha256', this.decoy.key).update(username.toLowerCase()).digest().subarray(0, 16);
    return { salt: padHex(BigInt(`0x${salt.toString('hex')}`)), verifier: this.decoy.verifier.verifier };
  }

  private async refresh(parameters: StringMap, clientId: string): Promise<unknown> {
    const token = parameters.REFRESH_TOKEN;
    if (!token) throw new CognitoServiceError('InvalidParameterException', 'Missing required parameter REFRESH_TOKEN');
    const grant = this.refreshTokens.get(token);
    const user = grant ? this.findUser(grant.username) : undefined;
    if (!grant || !user || grant.clientId !== clientId || grant.expiresAt <= this.options.now()) {
      throw new CognitoServiceError('NotAuthorizedException', 'Invalid Refresh Token');
    }
    return this.issueTokens(user, clientId, undefined, 'RefreshTokens');
  }

  private async respondToAuthChallenge(input: Record<string, unknown>): Promise<unknown> {
    const challengeName = requiredString(input, 'ChallengeName');
    const clientId = requiredString(input, 'ClientId');
    this.requirePublicClient(clientId);
    const handle = requiredString(input, 'Session');
    const responses = stringMap(input.ChallengeResponses, 'ChallengeResponses') ?? {};
    const clientMetadata = stringMap(input.ClientMetadata, 'ClientMetadata');
    if (challengeName !== 'CUSTOM_CHALLENGE' && challengeName !== 'PASSWORD_VERIFIER') {
      throw new CognitoServiceError(
        'InvalidParameterException',
        `${challengeName} is not supported by the local Cognito emulator.`,
      );
    }
    const required =
      challengeName === 'CUSTOM_CHALLENGE'
        ? ['USERNAME', 'ANSWER']
        : ['USERNAME', 'PASSWORD_CLAIM_SIGNATURE', 'PASSWORD_CLAIM_SECRET_BLOCK', 'TIMESTAMP'];
    for (const name of required) {
      if (responses[name] === undefined)
        throw new CognitoServiceError('InvalidParameterException', `Missing required parameter ${name}`);
    }
    const respondedUser = responses.USERNAME ?? '';

    const round = this.sessions.get(handle);
    // Single use: whatever happens next, this handle is spent.
    this.sessions.delete(handle);
    this.sweep();
    if (!round) throw new CognitoServiceError('NotAuthorizedException', INVALID_SESSION);
    if (round.expiresAt <= this.options.now()) {
      throw new CognitoServiceError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    }
    if (
      round.kind !== challengeName ||
      round.clientId !== clientId ||
      respondedUser.toLowerCase() !== round.username.toLowerCase()
    ) {
      throw new CognitoServiceError('NotAuthorizedException', INVALID_SESSION);
    }
    if (round.kind === 'PASSWORD_VERIFIER') return this.verifyPassword(round, responses, clientMetadata);

    const verified = await this.invoke(
      'VerifyAuthChallengeResponse',
      this.options.triggers.verifyAuthChallengeResponse,
      {
        ...this.base(round.username, clientId, 'VerifyAuthChallengeResponse_Authentication', '1'),
        request: {
          userAttributes: this.userAttributes(round.user),
          privateChallengeParameters: { ...round.privateParameters },
          challengeAnswer: responses.ANSWER,
          ...(clientMetadata ? { clientMetadata } : {}),
          userNotFound: round.user === undefined,
        },
        response: { answerCorrect: false },
      } as VerifyAuthChallengeResponseTriggerEvent,
    );
    const answerCorrect: unknown = verified.response?.answerCorrect;
    if (typeof answerCorrect !== 'boolean')
      throw invalidResponse('VerifyAuthChallengeResponse', 'answerCorrect must be a boolean');

    const entry: SessionEntry = {
      challengeName: 'CUSTOM_CHALLENGE',
      challengeResult: answerCorrect,
      ...(round.challengeMetadata !== undefined ? { challengeMetadata: round.challengeMetadata } : {}),
    };
    return this.nextRound({
      username: round.username,
      user: round.user,
      clientId,
      entries: [...round.entries, entry],
      clientMetadata,
    });
  }

  /**
   * PASSWORD_VERIFIER: the claim must answer this session's own secret block and prove the password; anything else
   * (a wrong password, an unknown user, a replayed or altered claim) is "Incorrect username or password." after the
   * same computation, and Define never sees a failed password check.
   */
  private async verifyPassword(
    round: PendingRound,
    responses: StringMap,
    clientMetadata: StringMap | undefined,
  ): Promise<unknown> {
    const srp = round.srp;
    if (!srp) throw new CognitoServiceError('NotAuthorizedException', INVALID_SESSION);
    const sameBlock = sameSecret(responses.PASSWORD_CLAIM_SECRET_BLOCK ?? '', srp.secretBlock);
    const proven = verifyPasswordClaim(srp.round, {
      poolName: this.poolName,
      userIdForSrp: srp.userIdForSrp,
      secretBlock: srp.secretBlock,
      timestamp: responses.TIMESTAMP ?? '',
      signature: responses.PASSWORD_CLAIM_SIGNATURE ?? '',
    });
    if (!(proven && sameBlock && round.user)) throw new CognitoServiceError('NotAuthorizedException', INCORRECT);
    return this.nextRound({
      username: round.username,
      user: round.user,
      clientId: round.clientId,
      entries: [...round.entries, { challengeName: 'PASSWORD_VERIFIER', challengeResult: true }],
      clientMetadata,
    });
  }

  private async getUser(input: Record<string, unknown>): Promise<unknown> {
    const token = requiredString(input, 'AccessToken');
    const check = await this.accessTokens.verify(token);
    if (!check.ok) {
      throw new CognitoServiceError(
        'NotAuthorizedException',
        check.reason === 'expired' ? 'Access Token has expired' : 'Invalid Access Token',
      );
    }
    const username = check.token.claims.username;
    const user = typeof username === 'string' ? this.findUser(username) : undefined;
    if (!user) throw new CognitoServiceError('UserNotFoundException', 'User does not exist.');
    return {
      Username: user.username,
      UserAttributes: Object.entries(this.userAttributes(user))
        .filter(([name]) => !name.startsWith('cognito:'))
        .map(([Name, Value]) => ({ Name, Value })),
    };
  }

  // ---- the custom-auth state machine ----------------------------------------------------------------------------

  private async nextRound(state: RoundState): Promise<unknown> {
    const userNotFound = state.user === undefined;
    const defined = await this.invoke('DefineAuthChallenge', this.options.triggers.defineAuthChallenge, {
      ...this.base(state.username, state.clientId, 'DefineAuthChallenge_Authentication', '1'),
      request: {
        userAttributes: this.userAttributes(state.user),
        session: state.entries.map((entry) => ({ ...entry })),
        ...(state.clientMetadata ? { clientMetadata: state.clientMetadata } : {}),
        userNotFound,
      },
      response: { challengeName: undefined, issueTokens: false, failAuthentication: false },
    } as unknown as DefineAuthChallengeTriggerEvent);
    const response: unknown = defined.response;
    if (!isRecord(response)) throw invalidResponse('DefineAuthChallenge', 'missing response');
    if (response.failAuthentication === true) throw new CognitoServiceError('NotAuthorizedException', INCORRECT);
    if (response.issueTokens === true) {
      // Cognito never issues tokens for a user that does not exist, whatever a trigger says.
      if (!state.user) throw new CognitoServiceError('NotAuthorizedException', INCORRECT);
      return this.issueTokens(state.user, state.clientId, state.clientMetadata, 'Authentication');
    }
    if (response.challengeName === 'PASSWORD_VERIFIER' && state.clientPublic !== undefined) {
      return this.passwordVerifierRound(state, state.clientPublic);
    }
    if (response.challengeName !== 'CUSTOM_CHALLENGE') {
      // PASSWORD_VERIFIER anywhere but right after SRP_A, and anything else, cannot be answered.
      throw new CognitoServiceError('NotAuthorizedException', INCORRECT);
    }

    const created = await this.invoke('CreateAuthChallenge', this.options.triggers.createAuthChallenge, {
      ...this.base(state.username, state.clientId, 'CreateAuthChallenge_Authentication', '1'),
      request: {
        userAttributes: this.userAttributes(state.user),
        challengeName: 'CUSTOM_CHALLENGE',
        session: state.entries.map((entry) => ({ ...entry })),
        ...(state.clientMetadata ? { clientMetadata: state.clientMetadata } : {}),
        userNotFound,
      },
      response: { publicChallengeParameters: {}, privateChallengeParameters: {}, challengeMetadata: '' },
    } as CreateAuthChallengeTriggerEvent);
    const challenge: unknown = created.response;
    if (!isRecord(challenge)) throw invalidResponse('CreateAuthChallenge', 'missing response');
    let publicParameters: StringMap;
    let privateParameters: StringMap;
    try {
      publicParameters = stringMap(challenge.publicChallengeParameters, 'publicChallengeParameters') ?? {};
      privateParameters = stringMap(challenge.privateChallengeParameters, 'privateChallengeParameters') ?? {};
    } catch (error) {
      throw invalidResponse('CreateAuthChallenge', (error as Error).message);
    }
    const metadata = challenge.challengeMetadata;
    if (metadata !== undefined && metadata !== null && typeof metadata !== 'string') {
      throw invalidResponse('CreateAuthChallenge', 'challengeMetadata must be a string');
    }

    const handle = this.openSession({
      kind: 'CUSTOM_CHALLENGE',
      username: state.username,
      user: state.user,
      clientId: state.clientId,
      entries: state.entries,
      privateParameters,
      ...(typeof metadata === 'string' && metadata !== '' ? { challengeMetadata: metadata } : {}),
    });
    return {
      ChallengeName: 'CUSTOM_CHALLENGE',
      Session: handle,
      ChallengeParameters: { ...publicParameters, USERNAME: state.username },
    };
  }

  /** Cognito's PASSWORD_VERIFIER challenge: SALT, SRP_B, an opaque SECRET_BLOCK, and the id the password hashes with. */
  private passwordVerifierRound(state: RoundState, clientPublic: bigint): unknown {
    const credentials = state.user?.srp ?? this.decoyVerifier(state.username);
    const round = startServerRound(clientPublic, credentials);
    const secretBlock = randomBytes(64).toString('base64');
    const userIdForSrp = state.user?.username ?? state.username;
    const handle = this.openSession({
      kind: 'PASSWORD_VERIFIER',
      username: state.username,
      user: state.user,
      clientId: state.clientId,
      entries: state.entries,
      privateParameters: {},
      srp: { round, secretBlock, userIdForSrp },
    });
    return {
      ChallengeName: 'PASSWORD_VERIFIER',
      Session: handle,
      ChallengeParameters: {
        SALT: round.salt,
        SRP_B: round.serverPublic,
        SECRET_BLOCK: secretBlock,
        USER_ID_FOR_SRP: userIdForSrp,
        USERNAME: userIdForSrp,
      },
    };
  }

  private openSession(round: Omit<PendingRound, 'expiresAt'>): string {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      throw new CognitoServiceError('TooManyRequestsException', 'Too many open sessions in the local emulator.');
    }
    const handle = randomBytes(96).toString('base64');
    this.sessions.set(handle, { ...round, expiresAt: this.options.now() + this.sessionValidityMs });
    return handle;
  }

  /**
   * Post authentication, then pre token generation (V2), then the tokens, as Cognito orders them. A refresh runs
   * pre token generation only, and returns no new refresh token.
   */
  private async issueTokens(
    user: PoolUser,
    clientId: string,
    clientMetadata: StringMap | undefined,
    source: 'Authentication' | 'RefreshTokens',
  ): Promise<unknown> {
    if (source === 'Authentication') {
      await this.invoke('PostAuthentication', this.options.triggers.postAuthentication, {
        ...this.base(user.username, clientId, 'PostAuthentication_Authentication', '1'),
        request: {
          userAttributes: this.userAttributes(user),
          newDeviceUsed: false,
          ...(clientMetadata ? { clientMetadata } : {}),
        },
        response: {},
      } as PostAuthenticationTriggerEvent);
    }

    const pre = await this.invoke('PreTokenGeneration', this.options.triggers.preTokenGeneration, {
      ...this.base(user.username, clientId, `TokenGeneration_${source}`, '2'),
      request: {
        userAttributes: this.userAttributes(user),
        groupConfiguration: { groupsToOverride: [...user.groups], iamRolesToOverride: [], preferredRole: undefined },
        scopes: ['aws.cognito.signin.user.admin'],
        ...(clientMetadata ? { clientMetadata } : {}),
      },
      response: { claimsAndScopeOverrideDetails: null },
    } as unknown as PreTokenGenerationV2TriggerEvent);
    const { idClaims, accessClaims, groups } = this.overrides(pre.response);

    const nowSeconds = Math.floor(this.options.now() / 1000);
    const subject: PoolUser = groups ? { ...user, groups } : user;
    const idSet = await this.options.issuer.userTokens(subject, clientId, nowSeconds, idClaims);
    const accessSet =
      JSON.stringify(idClaims) === JSON.stringify(accessClaims)
        ? idSet
        : await this.options.issuer.userTokens(subject, clientId, nowSeconds, accessClaims);
    if (source === 'Authentication') this.keepRefreshToken(idSet.RefreshToken, user.username, clientId);
    return {
      AuthenticationResult: {
        AccessToken: accessSet.AccessToken,
        IdToken: idSet.IdToken,
        ...(source === 'Authentication' ? { RefreshToken: idSet.RefreshToken } : {}),
        ExpiresIn: idSet.ExpiresIn,
        TokenType: 'Bearer',
      },
      ChallengeParameters: {},
    };
  }

  private keepRefreshToken(token: string, username: string, clientId: string): void {
    const now = this.options.now();
    for (const [key, grant] of this.refreshTokens) if (grant.expiresAt <= now) this.refreshTokens.delete(key);
    // Oldest first (Map order): a long-running local stack forgets its oldest sign-ins, nothing else.
    while (this.refreshTokens.size >= MAX_REFRESH_TOKENS) {
      const oldest = this.refreshTokens.keys().next().value;
      if (oldest === undefined) break;
      this.refreshTokens.delete(oldest);
    }
    this.refreshTokens.set(token, { username, clientId, expiresAt: now + REFRESH_TOKEN_VALIDITY_MS });
  }

  /** Reads a V2 pre-token response the way Cognito applies it (add/override claims, replace groups). */
  private overrides(response: unknown): {
    idClaims: Record<string, unknown>;
    accessClaims: Record<string, unknown>;
    groups?: string[];
  } {
    const details = isRecord(response) ? response.claimsAndScopeOverrideDetails : undefined;
    if (details === undefined || details === null) return { idClaims: {}, accessClaims: {} };
    if (!isRecord(details))
      throw invalidResponse('PreTokenGeneration', 'claimsAndScopeOverrideDetails must be an object');
    const claimsOf = (section: unknown, name: string): Record<string, unknown> => {
      if (section === undefined || section === null) return {};
      if (!isRecord(section)) throw invalidResponse('PreTokenGeneration', `${name} must be an object`);
      const suppress = section.claimsToSuppress;
      if (Array.isArray(suppress) && suppress.length > 0) {
        throw invalidResponse('PreTokenGeneration', `${name}.claimsToSuppress is not supported by the local emulator`);
      }
      const claims = section.claimsToAddOrOverride;
      if (claims === undefined || claims === null) return {};
      if (!isRecord(claims))
        throw invalidResponse('PreTokenGeneration', `${name}.claimsToAddOrOverride must be an object`);
      for (const claim of Object.keys(claims)) {
        if (RESERVED_CLAIMS.has(claim)) {
          throw invalidResponse('PreTokenGeneration', `${name}: the claim "${claim}" cannot be added or overridden`);
        }
      }
      return { ...claims };
    };
    const groupDetails = details.groupOverrideDetails;
    const groups =
      isRecord(groupDetails) && Array.isArray(groupDetails.groupsToOverride)
        ? groupDetails.groupsToOverride.filter((g): g is string => typeof g === 'string')
        : undefined;
    return {
      idClaims: claimsOf(details.idTokenGeneration, 'idTokenGeneration'),
      accessClaims: claimsOf(details.accessTokenGeneration, 'accessTokenGeneration'),
      ...(groups ? { groups } : {}),
    };
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  private base(userName: string, clientId: string, triggerSource: string, version: string) {
    return {
      version,
      region: this.region,
      userPoolId: this.options.identities.userPoolId,
      userName,
      callerContext: { awsSdkVersion: SDK_VERSION, clientId },
      triggerSource,
    };
  }

  private userAttributes(user: PoolUser | undefined): StringMap {
    if (!user) return {};
    return { sub: user.sub, 'cognito:user_status': 'CONFIRMED', ...user.attributes };
  }

  private findUser(username: string): PoolUser | undefined {
    const wanted = username.toLowerCase();
    return this.users.find((user) => user.username.toLowerCase() === wanted);
  }

  private requirePublicClient(clientId: string): LocalAppClient {
    const { webClient, scriptClient, appClient } = this.options.identities;
    if (clientId === webClient.clientId) return webClient;
    if (clientId === scriptClient.clientId) return scriptClient;
    if (clientId === appClient.clientId) {
      // A client with a secret needs SECRET_HASH, which the local app client (client credentials only) never sends.
      throw new CognitoServiceError('NotAuthorizedException', `Unable to verify secret hash for client ${clientId}`);
    }
    throw new CognitoServiceError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
  }

  private sweep(): void {
    const now = this.options.now();
    for (const [handle, round] of this.sessions) if (round.expiresAt <= now) this.sessions.delete(handle);
  }

  /** Runs a trigger on a copy of the event, with Cognito's time limit and error mapping. */
  private async invoke<E>(name: string, trigger: CognitoTrigger<E>, event: E): Promise<E> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new CognitoServiceError('UnexpectedLambdaException', `${name} failed with error: task timed out.`)),
        this.triggerTimeoutMs,
      );
    });
    try {
      const result = await Promise.race([trigger(structuredClone(event)), timeout]);
      if (!isRecord(result)) throw invalidResponse(name, 'the function must return the event');
      return result;
    } catch (error) {
      if (error instanceof CognitoServiceError) throw error;
      throw new CognitoServiceError(
        'UserLambdaValidationException',
        `${name} failed with error ${(error as Error)?.message ?? 'unknown'}.`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface LocalCognito {
  /** The emulator and the outbox, to be served by the local runtime. */
  readonly services: LocalService[];
  readonly emulator: CognitoEmulator;
  readonly outbox: Outbox;
  /** For composeDecide: signs `auth.sign_in` decision tokens with the same key the triggers verify. */
  readonly signDecisionToken: ReturnType<typeof decisionTokenSigner>;
  /** POST /v1/step-up/totp/enroll and /confirm. */
  readonly totpHandler: ReturnType<typeof composeTotpEnrollment>['handler'];
}

/**
 * The local user pool: the real triggers composed with local adapters (outbox instead of SES/SNS, the local
 * issuer's JWKS instead of Cognito's, a per-process random secret instead of Secrets Manager), and the emulator
 * that runs them. The triggers log as in AWS (one JSON line per outcome, with a request id per invocation and the
 * step-up as correlation id), but only with STEPGATE_TRIGGER_LOGS=1: a sign-in logs several lines, which would
 * drown the runtime's output and the tests'.
 */
export function createLocalCognito(
  ctx: LocalContext,
  options: { secrets?: AppSecretsSource; log?: Log } = {},
): LocalCognito {
  const secrets = options.secrets ?? new EphemeralAppSecrets((n) => randomBytes(n));
  const issuer = decisionTokenIssuer('local');
  const outbox = new Outbox();
  const verifiers = new Map<string, JoseTokenVerifier>();
  // The emulated pool's issuer is the local one, not the cognito-idp URL the event's region and pool id name.
  // A step-up on the web client accepts local-script tokens too, so tests and scripts can sign in without a ceremony.
  const { webClient, scriptClient } = ctx.identities;
  const accessTokens: TokenVerifierProvider = ({ clientId }) => {
    let verifier = verifiers.get(clientId);
    if (!verifier) {
      verifier = new JoseTokenVerifier({
        issuer: ctx.issuer.issuer,
        audiences: clientId === webClient.clientId ? [clientId, scriptClient.clientId] : [clientId],
        jwks: ctx.issuer.jwks(),
        tokenUse: 'access',
        now: ctx.now,
      });
      verifiers.set(clientId, verifier);
    }
    return verifier;
  };
  const log = new PowertoolsLog({ level: ctx.env.STEPGATE_TRIGGER_LOGS === '1' ? 'INFO' : 'SILENT' });
  const composed = composeStepUpTriggers({
    dynamo: ctx.dynamo,
    tables: ctx.tables,
    clock: ctx.now,
    secrets,
    decisionTokenIssuer: issuer,
    codeSender: new OutboxCodeSender(outbox),
    accessTokens,
    // local-script signs in with a plain password (USER_PASSWORD_AUTH, no ceremony): the only client exempt.
    ungatedClientIds: [scriptClient.clientId],
    audit: new DynamoDbAuditLog({
      client: ctx.dynamo,
      tableName: ctx.tables.audit,
      now: ctx.now,
      writer: 'local-cognito',
    }),
    log,
  });
  // Each call is one invocation, as the Lambda runtime would make it: its own context and request id.
  const invoked = <E extends { readonly request?: unknown }>(
    name: string,
    trigger: CognitoTrigger<E>,
  ): CognitoTrigger<E> => {
    const run = log.handler(trigger, correlationIds.cognito);
    return (event) => run(event, localLambdaContext(name));
  };
  const triggers: CognitoTriggers = {
    defineAuthChallenge: invoked('define-auth-challenge', composed.defineAuthChallenge),
    createAuthChallenge: invoked('create-auth-challenge', composed.createAuthChallenge),
    verifyAuthChallengeResponse: invoked('verify-auth-challenge', composed.verifyAuthChallengeResponse),
    preTokenGeneration: invoked('pre-token-generation', composed.preTokenGeneration),
    postAuthentication: invoked('post-authentication', composed.postAuthentication),
  };
  const validityMinutes = Number(ctx.env.STEPGATE_AUTH_SESSION_VALIDITY_MINUTES ?? 3);
  const emulator = new CognitoEmulator({
    identities: ctx.identities,
    issuer: ctx.issuer,
    now: ctx.now,
    triggers,
    sessionValidityMs: Math.min(15, Math.max(3, Number.isFinite(validityMinutes) ? validityMinutes : 3)) * 60_000,
  });
  return {
    services: [emulator, outbox],
    emulator,
    outbox,
    signDecisionToken: decisionTokenSigner({ secrets, issuer }),
    totpHandler: composeTotpEnrollment({
      dynamo: ctx.dynamo,
      tables: ctx.tables,
      clock: ctx.now,
      secrets,
      issuerName: 'stepgate (local)',
      audit: new DynamoDbAuditLog({
        client: ctx.dynamo,
        tableName: ctx.tables.audit,
        now: ctx.now,
        writer: 'local-totp',
      }),
      ...(options.log ? { logError: errorSummaries(options.log) } : {}),
    }).handler,
  };
}
