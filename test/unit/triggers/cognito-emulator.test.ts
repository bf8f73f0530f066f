import { getDiffieHellman } from 'node:crypto';
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
import {
  answerCustomChallenge,
  recordingProxy,
  srpSignIn,
  type CognitoJsError,
} from '../../support/cognito-srp-client';

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
  let endpoint: string;
  let client: CognitoIdentityProviderClient;
  let script: Partial<Record<keyof CognitoTriggers, (event: AnyEvent) => AnyEvent | Promise<AnyEvent>>> = {};

  /**
   * A two-round protocol: [SRP_A] → PASSWORD_VERIFIER; otherwise CUSTOM_CHALLENGE until one passed custom entry,
   * then tokens.
   */
  const defaults: Record<keyof CognitoTriggers, (event: AnyEvent) => AnyEvent> = {
    defineAuthChallenge: (e) => {
      const session = e.request.session as { challengeName: string; challengeResult: boolean }[];
      const custom = session.filter((s) => s.challengeName === 'CUSTOM_CHALLENGE');
      e.response =
        session.length === 1 && session[0]?.challengeName === 'SRP_A'
          ? { challengeName: 'PASSWORD_VERIFIER', issueTokens: false, failAuthentication: false }
          : custom.some((s) => s.challengeResult)
            ? { issueTokens: true, failAuthentication: false }
            : custom.length >= 2
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
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new CognitoIdentityProviderClient({
      endpoint,
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

  const initiate = (AuthFlow: string, ClientId: string, AuthParameters: Record<string, string>) =>
    client.send(new InitiateAuthCommand({ AuthFlow: AuthFlow as 'CUSTOM_AUTH', ClientId, AuthParameters }));
  const web = () => ({ endpoint, userPoolId: 'local_stepgate', clientId: 'local-web' });
  const sessionsSeenByDefine = () =>
    seen
      .filter((e) => e.triggerSource === 'DefineAuthChallenge_Authentication')
      .map((e) =>
        (e.request.session as { challengeName: string; challengeResult: boolean }[]).map((x) => x.challengeName),
      );

  it('answers like Cognito for unknown clients and the confidential client', async () => {
    await expect(start('alice@example.com', 'nope')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(start('alice@example.com', 'local-app')).rejects.toBeInstanceOf(NotAuthorizedException);
  });

  it("refuses the flows a client does not enable, with Cognito's error, before looking at the user", async () => {
    const refused: [string, string][] = [
      ['USER_SRP_AUTH', 'local-web'],
      ['USER_PASSWORD_AUTH', 'local-web'],
      ['CUSTOM_AUTH', 'local-script'],
      ['USER_SRP_AUTH', 'local-script'],
    ];
    for (const [flow, clientId] of refused) {
      const attempt = initiate(flow, clientId, {
        USERNAME: 'admin@example.com',
        PASSWORD: 'Admin-Local-1!',
        SRP_A: 'ab',
      });
      await expect(attempt).rejects.toBeInstanceOf(InvalidParameterException);
      await expect(attempt).rejects.toThrow(`${flow} flow not enabled for this client`);
    }
    expect(seen).toHaveLength(0);
  });

  it('signs users in with USER_PASSWORD_AUTH on local-script, groups and pre-token claims in the tokens', async () => {
    const out = await initiate('USER_PASSWORD_AUTH', 'local-script', {
      USERNAME: 'admin@example.com',
      PASSWORD: 'Admin-Local-1!',
    });
    const id = JSON.parse(Buffer.from(out.AuthenticationResult!.IdToken!.split('.')[1]!, 'base64url').toString('utf8'));
    expect(id).toMatchObject({
      'cognito:groups': ['risk-admins'],
      custom_claim: 'x',
      'cognito:username': 'admin@example.com',
      aud: 'local-script',
    });
    for (const [username, password] of [
      ['admin@example.com', 'Admin-Local-1'],
      ['nobody@example.com', 'Admin-Local-1!'],
    ] as const) {
      await expect(
        initiate('USER_PASSWORD_AUTH', 'local-script', { USERNAME: username, PASSWORD: password }),
      ).rejects.toThrow('Incorrect username or password.');
    }
  });

  it('refreshes tokens for the client that issued them, with pre token generation and no post authentication', async () => {
    const first = await initiate('USER_PASSWORD_AUTH', 'local-script', {
      USERNAME: 'alice@example.com',
      PASSWORD: 'Alice-Local-1!',
    });
    const refreshToken = first.AuthenticationResult!.RefreshToken!;
    seen.length = 0;
    const refreshed = await initiate('REFRESH_TOKEN_AUTH', 'local-script', { REFRESH_TOKEN: refreshToken });
    expect(refreshed.AuthenticationResult?.AccessToken).toBeDefined();
    expect(refreshed.AuthenticationResult?.RefreshToken).toBeUndefined();
    expect(seen.map((e) => e.triggerSource)).toEqual(['TokenGeneration_RefreshTokens']);
    await expect(initiate('REFRESH_TOKEN_AUTH', 'local-web', { REFRESH_TOKEN: refreshToken })).rejects.toThrow(
      'Invalid Refresh Token',
    );
    await expect(initiate('REFRESH_TOKEN_AUTH', 'local-script', { REFRESH_TOKEN: 'forged' })).rejects.toBeInstanceOf(
      NotAuthorizedException,
    );
  });

  it('proves the password with SRP before the custom rounds (amazon-cognito-identity-js, unmodified)', async () => {
    const proxy = await recordingProxy(endpoint);
    try {
      const step = await srpSignIn({ ...web(), endpoint: proxy.url }, 'alice@example.com', 'Alice-Local-1!');
      expect(step.kind).toBe('custom');
      const challenge = proxy.calls.find((c) => c.target.endsWith('.InitiateAuth'));
      expect(challenge?.body).toMatchObject({
        AuthFlow: 'CUSTOM_AUTH',
        AuthParameters: { CHALLENGE_NAME: 'SRP_A', USERNAME: 'alice@example.com' },
      });
      expect(sessionsSeenByDefine()).toEqual([['SRP_A'], ['SRP_A', 'PASSWORD_VERIFIER']]);
      if (step.kind !== 'custom') return;
      const done = await answerCustomChallenge(step.user, '4242', { k: 'v' });
      expect(done.kind).toBe('tokens');
      expect(sessionsSeenByDefine().at(-1)).toEqual(['SRP_A', 'PASSWORD_VERIFIER', 'CUSTOM_CHALLENGE']);
    } finally {
      await proxy.close();
    }
  });

  it('answers PASSWORD_VERIFIER with the SRP parameters, for a user that does not exist too', async () => {
    const A = (2n ** 1000n + 12345n).toString(16);
    for (const username of ['alice@example.com', 'nobody@example.com']) {
      const out = await initiate('CUSTOM_AUTH', 'local-web', { USERNAME: username, CHALLENGE_NAME: 'SRP_A', SRP_A: A });
      expect(out.ChallengeName).toBe('PASSWORD_VERIFIER');
      expect(keysOf(out.ChallengeParameters!)).toEqual([
        'SALT',
        'SECRET_BLOCK',
        'SRP_B',
        'USERNAME',
        'USER_ID_FOR_SRP',
      ]);
      expect(out.ChallengeParameters!.SRP_B).toMatch(/^[0-9a-f]+$/);
    }
    // The same unknown user gets the same salt each time (as a real user would), the SRP_B is fresh.
    const again = await initiate('CUSTOM_AUTH', 'local-web', {
      USERNAME: 'nobody@example.com',
      CHALLENGE_NAME: 'SRP_A',
      SRP_A: A,
    });
    const before = await initiate('CUSTOM_AUTH', 'local-web', {
      USERNAME: 'nobody@example.com',
      CHALLENGE_NAME: 'SRP_A',
      SRP_A: A,
    });
    expect(again.ChallengeParameters!.SALT).toBe(before.ChallengeParameters!.SALT);
    expect(again.ChallengeParameters!.SRP_B).not.toBe(before.ChallengeParameters!.SRP_B);
  });

  it('fails a wrong password exactly like an unknown user, and Define never sees a failed password check', async () => {
    const failures: CognitoJsError[] = [];
    for (const [username, password] of [
      ['alice@example.com', 'Alice-Local-2!'],
      ['nobody@example.com', 'Alice-Local-1!'],
    ] as const) {
      await srpSignIn(web(), username, password).then(
        () => failures.push(new Error('signed in')),
        (error: CognitoJsError) => failures.push(error),
      );
    }
    for (const error of failures) {
      expect(error.code).toBe('NotAuthorizedException');
      expect(error.message).toBe('Incorrect username or password.');
    }
    expect(sessionsSeenByDefine()).toEqual([['SRP_A'], ['SRP_A']]);
    expect(seen.every((e) => e.triggerSource === 'DefineAuthChallenge_Authentication')).toBe(true);
  });

  it('takes a PASSWORD_VERIFIER answer once: a replay, or the same claim in a new session, fails', async () => {
    const proxy = await recordingProxy(endpoint);
    try {
      await srpSignIn({ ...web(), endpoint: proxy.url }, 'alice@example.com', 'Alice-Local-1!');
      const claim = proxy.calls.find(
        (c) => c.target.endsWith('.RespondToAuthChallenge') && c.body.ChallengeName === 'PASSWORD_VERIFIER',
      )!.body as { Session: string; ChallengeResponses: Record<string, string> };
      const replay = (Session: string) =>
        client.send(
          new RespondToAuthChallengeCommand({
            ChallengeName: 'PASSWORD_VERIFIER',
            ClientId: 'local-web',
            Session,
            ChallengeResponses: claim.ChallengeResponses,
          }),
        );
      await expect(replay(claim.Session)).rejects.toThrow('Invalid session for the user.');
      const init = proxy.calls.find((c) => c.target.endsWith('.InitiateAuth'))!.body as {
        AuthParameters: Record<string, string>;
      };
      const fresh = await initiate('CUSTOM_AUTH', 'local-web', init.AuthParameters);
      await expect(replay(fresh.Session!)).rejects.toThrow('Incorrect username or password.');
      // A session that waits for PASSWORD_VERIFIER cannot be answered with a custom challenge either.
      const other = await initiate('CUSTOM_AUTH', 'local-web', init.AuthParameters);
      await expect(respond(other.Session, '4242')).rejects.toBeInstanceOf(NotAuthorizedException);
    } finally {
      await proxy.close();
    }
  });

  it('refuses an SRP_A that is 0 mod N, oversized or not hex, and SRP_A without CHALLENGE_NAME SRP_A', async () => {
    const N = getDiffieHellman('modp15').getPrime('hex');
    const twoN = (2n * BigInt(`0x${N}`)).toString(16);
    for (const SRP_A of [N, twoN, '0', 'f'.repeat(800), 'zz']) {
      await expect(
        initiate('CUSTOM_AUTH', 'local-web', { USERNAME: 'alice@example.com', CHALLENGE_NAME: 'SRP_A', SRP_A }),
      ).rejects.toBeInstanceOf(InvalidParameterException);
    }
    await expect(
      initiate('CUSTOM_AUTH', 'local-web', { USERNAME: 'alice@example.com', SRP_A: 'ab' }),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    expect(seen).toHaveLength(0);
  });
});
