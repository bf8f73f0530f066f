import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  InvalidLambdaResponseException,
  InvalidParameterException,
  NotAuthorizedException,
  ResourceNotFoundException,
  RespondToAuthChallengeCommand,
  UserLambdaValidationException,
} from '@aws-sdk/client-cognito-identity-provider';
import createSample from '../../fixtures/cognito/aws-lambda-go-create-auth-challenge.json';
import defineSample from '../../fixtures/cognito/aws-lambda-go-define-auth-challenge.json';
import postAuthSample from '../../fixtures/cognito/aws-lambda-go-postauthentication.json';
import preTokenSample from '../../fixtures/cognito/aws-lambda-go-pretokengen-v2.json';
import verifySample from '../../fixtures/cognito/aws-lambda-go-verify-auth-challenge.json';
import { CognitoEmulator, type CognitoTriggers } from '../../../lambdas/local/cognito-emulator';
import { localIdentities } from '../../../lambdas/local/local-identities';
import { LocalIssuer } from '../../../lambdas/local/local-issuer';

/**
 * The emulator's own semantics, with scripted triggers: sessions, wire errors, event shapes. (The real triggers
 * run through it in test/e2e/step-up.test.ts.)
 */

type AnyEvent = { triggerSource: string; request: Record<string, unknown>; response: Record<string, unknown> } & Record<
  string,
  unknown
>;

const keysOf = (o: object) => Object.keys(o).sort();

describe('local Cognito emulator', () => {
  const clock = { now: Date.parse('2026-11-29T10:00:00Z') };
  const seen: AnyEvent[] = [];
  let server: Server;
  let client: CognitoIdentityProviderClient;
  let script: Partial<Record<keyof CognitoTriggers, (event: AnyEvent) => AnyEvent | Promise<AnyEvent>>> = {};

  /** A two-round protocol: any session → CUSTOM_CHALLENGE until one passed entry, then tokens. */
  const defaults: Record<keyof CognitoTriggers, (event: AnyEvent) => AnyEvent> = {
    defineAuthChallenge: (e) => {
      const session = e.request.session as { challengeResult: boolean }[];
      e.response = session.some((s) => s.challengeResult)
        ? { issueTokens: true, failAuthentication: false }
        : session.length >= 2
          ? { issueTokens: false, failAuthentication: true }
          : { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false };
      return e;
    },
    createAuthChallenge: (e) => {
      e.response = {
        publicChallengeParameters: { step: 'code' },
        privateChallengeParameters: { answer: '4242' },
        challengeMetadata: 'CODE:x',
      };
      return e;
    },
    verifyAuthChallengeResponse: (e) => {
      e.response = {
        answerCorrect:
          (e.request.privateChallengeParameters as { answer: string }).answer === e.request.challengeAnswer,
      };
      return e;
    },
    preTokenGeneration: (e) => {
      e.response = {
        claimsAndScopeOverrideDetails: { idTokenGeneration: { claimsToAddOrOverride: { custom_claim: 'x' } } },
      };
      return e;
    },
    postAuthentication: (e) => e,
  };

  const trigger =
    (name: keyof CognitoTriggers) =>
    async (event: unknown): Promise<never> => {
      seen.push(structuredClone(event) as AnyEvent);
      return (await (script[name] ?? defaults[name])(event as AnyEvent)) as never;
    };

  beforeAll(async () => {
    const identities = localIdentities({});
    const issuer = await LocalIssuer.create('http://127.0.0.1/local_stepgate');
    const emulator = new CognitoEmulator({
      identities,
      issuer,
      now: () => clock.now,
      triggerTimeoutMs: 300,
      triggers: {
        defineAuthChallenge: trigger('defineAuthChallenge'),
        createAuthChallenge: trigger('createAuthChallenge'),
        verifyAuthChallengeResponse: trigger('verifyAuthChallengeResponse'),
        preTokenGeneration: trigger('preTokenGeneration'),
        postAuthentication: trigger('postAuthentication'),
      },
    });
    server = createServer((req, res) => {
      void emulator.handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1')).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new CognitoIdentityProviderClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
    script = {};
  });

  const start = (username = 'alice@example.com', clientId = 'local-web', metadata?: Record<string, string>) =>
    client.send(
      new InitiateAuthCommand({
        AuthFlow: 'CUSTOM_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: username },
        ...(metadata ? { ClientMetadata: metadata } : {}),
      }),
    );
  const respond = (
    session: string | undefined,
    answer: string,
    username = 'alice@example.com',
    metadata?: Record<string, string>,
  ) =>
    client.send(
      new RespondToAuthChallengeCommand({
        ChallengeName: 'CUSTOM_CHALLENGE',
        ClientId: 'local-web',
        Session: session,
        ChallengeResponses: { USERNAME: username, ANSWER: answer },
        ...(metadata ? { ClientMetadata: metadata } : {}),
      }),
    );

  it("builds trigger events shaped like Cognito's samples", async () => {
    const started = await start();
    const retry = await respond(started.Session, '0000', 'alice@example.com', { k: 'v' });
    await respond(retry.Session, '4242', 'alice@example.com', { k: 'v' });
    const last = (source: string) => seen.filter((e) => e.triggerSource === source).at(-1);
    const define = last('DefineAuthChallenge_Authentication');
    const create = last('CreateAuthChallenge_Authentication');
    const verify = last('VerifyAuthChallengeResponse_Authentication');
    const pre = last('TokenGeneration_Authentication');
    const post = last('PostAuthentication_Authentication');
    for (const [event, sample] of [
      [define, defineSample],
      [create, createSample],
      [verify, verifySample],
      [pre, preTokenSample],
      [post, postAuthSample],
    ] as const) {
      expect(event).toBeDefined();
      expect(keysOf(event!)).toEqual(keysOf(sample));
      expect(keysOf(event!.callerContext as object)).toEqual(keysOf(sample.callerContext));
      // Every request field the sample has is there too (Cognito adds userNotFound where it applies).
      for (const key of Object.keys(sample.request)) expect(Object.keys(event!.request)).toContain(key);
    }
    expect(define).toMatchObject({
      version: '1',
      userPoolId: 'local_stepgate',
      userName: 'alice@example.com',
      callerContext: { clientId: 'local-web' },
    });
    expect(define!.request).toMatchObject({
      session: [
        { challengeName: 'CUSTOM_CHALLENGE', challengeResult: false, challengeMetadata: 'CODE:x' },
        { challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: 'CODE:x' },
      ],
      userNotFound: false,
      userAttributes: { email: 'alice@example.com', email_verified: 'true' },
    });
    expect(pre).toMatchObject({ version: '2', request: { clientMetadata: { k: 'v' } } });
    expect(verify!.request).toMatchObject({
      privateChallengeParameters: { answer: '4242' },
      challengeAnswer: '4242',
      clientMetadata: { k: 'v' },
    });
    // Post authentication runs before pre token generation, as in Cognito.
    expect(seen.findIndex((e) => e === post)).toBeLessThan(seen.findIndex((e) => e === pre));
  });

  it("does not pass InitiateAuth ClientMetadata to the challenge triggers (only RespondToAuthChallenge's)", async () => {
    await start('alice@example.com', 'local-web', { stepUpId: 'from-initiate' });
    expect(seen.every((e) => e.request.clientMetadata === undefined)).toBe(true);
  });

  it('keeps private challenge parameters server side: the session handle is opaque and reveals no answer', async () => {
    const started = await start();
    expect(started.ChallengeParameters).toEqual({ step: 'code', USERNAME: 'alice@example.com' });
    expect(JSON.stringify(started)).not.toContain('4242');
    expect(Buffer.from(started.Session!, 'base64').toString('latin1')).not.toContain('4242');
  });

  it('sessions are single use, bound to the username, and expire after 3 minutes', async () => {
    const first = await start();
    const wrong = await respond(first.Session, '0000');
    expect(wrong.ChallengeName).toBe('CUSTOM_CHALLENGE');
    await expect(respond(first.Session, '4242')).rejects.toBeInstanceOf(NotAuthorizedException);

    const other = await start();
    await expect(respond(other.Session, '4242', 'admin@example.com')).rejects.toBeInstanceOf(NotAuthorizedException);

    const late = await start();
    clock.now += 3 * 60_000;
    await expect(respond(late.Session, '4242')).rejects.toThrow('Invalid session for the user, session is expired.');
  });

  it("fails with Cognito's message when Define fails, and never issues tokens to an unknown user", async () => {
    const first = await start();
    const second = await respond(first.Session, '0000');
    await expect(respond(second.Session, '0000')).rejects.toThrow('Incorrect username or password.');

    seen.length = 0;
    const ghost = await start('nobody@example.com');
    expect(seen.map((e) => e.request.userNotFound)).toEqual([true, true]);
    expect(seen[0]?.request.userAttributes).toEqual({});
    script.defineAuthChallenge = (e) => ({ ...e, response: { issueTokens: true, failAuthentication: false } });
    await expect(respond(ghost.Session, '4242', 'nobody@example.com')).rejects.toThrow(
      'Incorrect username or password.',
    );
  });

  it('maps a throwing trigger to UserLambdaValidationException and a malformed answer to InvalidLambdaResponseException', async () => {
    script.createAuthChallenge = () => {
      throw new Error('We could not send your verification code.');
    };
    await expect(start()).rejects.toThrow(UserLambdaValidationException);
    script.createAuthChallenge = (e) => ({ ...e, response: { publicChallengeParameters: { n: 1 } } });
    await expect(start()).rejects.toBeInstanceOf(InvalidLambdaResponseException);
    script.createAuthChallenge = () => new Promise(() => undefined);
    await expect(start()).rejects.toThrow(/timed out/);
  });

  it('refuses pre-token claims Cognito reserves (acr, amr, sub, ...)', async () => {
    script.preTokenGeneration = (e) => ({
      ...e,
      response: {
        claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: { amr: ['otp'] } } },
      },
    });
    const started = await start();
    await expect(respond(started.Session, '4242')).rejects.toBeInstanceOf(InvalidLambdaResponseException);
  });

  it('answers like Cognito for unknown clients, the confidential client and unsupported flows', async () => {
    await expect(start('alice@example.com', 'nope')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(start('alice@example.com', 'local-app')).rejects.toBeInstanceOf(NotAuthorizedException);
    await expect(
      client.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_SRP_AUTH',
          ClientId: 'local-web',
          AuthParameters: { USERNAME: 'a', SRP_A: 'x' },
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('signs users in with USER_PASSWORD_AUTH, groups and pre-token claims in the tokens', async () => {
    const out = await client.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: 'local-web',
        AuthParameters: { USERNAME: 'admin@example.com', PASSWORD: 'Admin-Local-1!' },
      }),
    );
    const id = JSON.parse(Buffer.from(out.AuthenticationResult!.IdToken!.split('.')[1]!, 'base64url').toString('utf8'));
    expect(id).toMatchObject({
      'cognito:groups': ['risk-admins'],
      custom_claim: 'x',
      'cognito:username': 'admin@example.com',
    });
  });
});
