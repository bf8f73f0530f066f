import {
  CognitoIdentityProviderClient,
  GetUserCommand,
  InitiateAuthCommand,
  NotAuthorizedException,
  RespondToAuthChallengeCommand,
  type RespondToAuthChallengeCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDbAuditReader } from '../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import { generateTotp } from '../../lambdas/core/step-up/totp';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import {
  answerCustomChallenge,
  recordingProxy,
  srpSignIn,
  type CognitoJsError,
  type SrpStep,
} from '../support/cognito-srp-client';
import { appToken, postJson, startTestRuntime, userTokens } from '../support/local-runtime';

/**
 * The whole step-up through the local runtime, driven exactly as an app would drive Cognito: the unmodified AWS SDK
 * client, pointed at the runtime, and for sign-in the unmodified SRP client (amazon-cognito-identity-js). The
 * runtime's clock is injected, so code expiry and grant max-age are tested by moving it.
 */

const CLIENT_ID = 'local-web';
const ALICE = { username: 'alice@example.com', password: 'Alice-Local-1!' };
const ADMIN = { username: 'admin@example.com', password: 'Admin-Local-1!' };
const BERLIN = '2.204.10.20';
/**
 * An Electron desktop app: the engine flags it as automation-capable (device.headless) on every request, so the
 * same context keeps asking for a step-up even after a passed step-up taught it to alice's profile. That is what
 * lets this test repeat "the same decision" and see the grant, not familiarity, turn it into an allow.
 */
const ELECTRON_APP =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) stepgate-wallet/1.4.0 Chrome/120.0.6099.291 Electron/28.2.0 Safari/537.36';
const DEVICE = 'device-e2e-1';

type Claims = Record<string, unknown>;
const claimsOf = (jwt: string | undefined): Claims =>
  JSON.parse(Buffer.from(String(jwt).split('.')[1] ?? '', 'base64url').toString('utf8')) as Claims;

describe('step-up through Cognito custom auth (local emulator, real triggers)', () => {
  let runtime: LocalRuntime;
  let cognito: CognitoIdentityProviderClient;
  let app: string;
  const clock = { now: Date.parse('2026-11-29T10:00:00Z') };

  beforeAll(async () => {
    // Sessions live 15 minutes (Cognito's maximum) so that code expiry, not session expiry, is what a test hits.
    runtime = await startTestRuntime({ now: () => clock.now, env: { STEPGATE_AUTH_SESSION_VALIDITY_MINUTES: '15' } });
    cognito = new CognitoIdentityProviderClient({
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    app = await appToken(runtime.url);
  });
  afterAll(async () => {
    cognito?.destroy();
    await runtime?.stop();
  });

  /** A user's tokens without the ceremony (the local-only script client); sign-in itself is tested below. */
  const signIn = async (user: { username: string; password: string }) =>
    (await userTokens(runtime.url, user.username, user.password)).accessToken;

  const decide = async (
    userId: string,
    extra: Record<string, unknown> = {},
    action = 'payment.transfer',
    context: Record<string, string> = { ip: BERLIN, userAgent: ELECTRON_APP, deviceId: DEVICE },
  ) => {
    const res = await postJson(`${runtime.url}/v1/decisions`, app, { userId, action, context, ...extra });
    expect(res.status).toBe(200);
    return res.body as {
      decision: string;
      reasons: { code: string }[];
      stepUp?: { id: string; maxAge: number; methods: string[] };
      decisionToken?: string;
      score: number;
    };
  };
  const webPool = () => ({
    endpoint: runtime.url,
    userPoolId: runtime.context.identities.userPoolId,
    clientId: CLIENT_ID,
  });
  const failureOf = (attempt: Promise<unknown>) =>
    attempt.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: CognitoJsError) => error,
    );

  const outbox = async (to: string) => {
    const res = await fetch(`${runtime.url}/local/outbox?to=${encodeURIComponent(to)}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { messages: { to: string; channel: string; code: string; sentAt: string }[] })
      .messages;
  };
  const latestCode = async (to: string) => (await outbox(to)).at(-1)!.code;

  const startCustomAuth = async (username: string) =>
    cognito.send(
      new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: CLIENT_ID, AuthParameters: { USERNAME: username } }),
    );

  const respond = (username: string, session: string | undefined, answer: string, metadata: Record<string, string>) =>
    cognito.send(
      new RespondToAuthChallengeCommand({
        ChallengeName: 'CUSTOM_CHALLENGE',
        ClientId: CLIENT_ID,
        Session: session,
        ChallengeResponses: { USERNAME: username, ANSWER: answer },
        ClientMetadata: metadata,
      }),
    );

  /** Steps 1 and 2 of the protocol: returns the session of the code round. */
  const toCodeRound = async (username: string, metadata: Record<string, string>) => {
    const started = await startCustomAuth(username);
    expect(started.ChallengeName).toBe('CUSTOM_CHALLENGE');
    expect(started.ChallengeParameters).toMatchObject({ step: 'context' });
    const codeRound = await respond(username, started.Session, 'context', metadata);
    expect(codeRound.ChallengeName).toBe('CUSTOM_CHALLENGE');
    expect(codeRound.ChallengeParameters?.step).toBe('code');
    return codeRound;
  };

  const newStepUp = async (userId = ALICE.username) => {
    const decision = await decide(userId);
    expect(decision.decision).toBe('step_up');
    return decision.stepUp!;
  };

  // Shared by the tests below, in order (the suite is one story; later tests use what earlier ones set up).
  let aliceToken: string;
  let firstStepUpId: string;
  let firstCode: string;
  let spentSession: string | undefined;

  it('steps alice up: context, a wrong code, the right code from the outbox, tokens with the step-up claims', async () => {
    aliceToken = await signIn(ALICE);
    const stepUp = await newStepUp();
    firstStepUpId = stepUp.id;
    expect(stepUp.methods).toContain('email_otp');
    const metadata = { stepUpId: stepUp.id, accessToken: aliceToken, method: 'email_otp' };

    const codeRound = await toCodeRound(ALICE.username, metadata);
    expect(codeRound.ChallengeParameters).toMatchObject({ method: 'email_otp', destination: 'a***@e***.com' });
    firstCode = await latestCode(ALICE.username);
    expect(firstCode).toMatch(/^\d{6}$/);
    expect(JSON.stringify(codeRound)).not.toContain(firstCode);

    const wrong = firstCode === '000000' ? '111111' : '000000';
    const retry = await respond(ALICE.username, codeRound.Session, wrong, metadata);
    expect(retry.ChallengeName).toBe('CUSTOM_CHALLENGE');
    expect(retry.ChallengeParameters?.step).toBe('code');
    expect(retry.AuthenticationResult).toBeUndefined();
    expect(await outbox(ALICE.username)).toHaveLength(1); // a retry round sends nothing new

    const done = await respond(ALICE.username, retry.Session, firstCode, metadata);
    spentSession = retry.Session;
    const access = claimsOf(done.AuthenticationResult?.AccessToken);
    const id = claimsOf(done.AuthenticationResult?.IdToken);
    for (const claims of [access, id]) {
      expect(claims).toMatchObject({
        step_up_id: stepUp.id,
        step_up_acr: 'urn:stepgate:acr:otp',
        step_up_amr: ['otp', 'email'],
        step_up_at: Math.floor(clock.now / 1000),
      });
    }
    expect(access.username).toBe(ALICE.username);
  });

  it('redeems the grant: the same decision with stepUpId is allow (step_up.satisfied), until maxAge', async () => {
    clock.now += 10_000;
    const plain = await decide(ALICE.username);
    expect(plain.decision).toBe('step_up');
    // Post authentication taught the step-up's context: the device and the new user rule are gone from the reasons.
    expect(plain.reasons.map((r) => r.code)).not.toEqual(expect.arrayContaining(['device.new']));
    expect(plain.reasons.map((r) => r.code)).not.toContain('user.new');
    const redeemed = await decide(ALICE.username, { stepUpId: firstStepUpId });
    expect(redeemed.decision).toBe('allow');
    expect(redeemed.reasons.map((r) => r.code)).toContain('step_up.satisfied');

    clock.now += 300_000; // past the high level's max age (300 s)
    const stale = await decide(ALICE.username, { stepUpId: firstStepUpId });
    expect(stale.decision).toBe('step_up');
    expect(stale.reasons.map((r) => r.code)).not.toContain('step_up.satisfied');
  });

  it('refuses a replay: the spent session, and the old code in a new ceremony', async () => {
    const metadata = { stepUpId: firstStepUpId, accessToken: aliceToken, method: 'email_otp' };
    await expect(respond(ALICE.username, spentSession, firstCode, metadata)).rejects.toBeInstanceOf(
      NotAuthorizedException,
    );

    const stepUp = await newStepUp();
    const fresh = { stepUpId: stepUp.id, accessToken: aliceToken, method: 'email_otp' };
    const codeRound = await toCodeRound(ALICE.username, fresh);
    const newCode = await latestCode(ALICE.username);
    if (newCode !== firstCode) {
      const replay = await respond(ALICE.username, codeRound.Session, firstCode, fresh);
      expect(replay.AuthenticationResult).toBeUndefined();
      expect(replay.ChallengeParameters?.step).toBe('code');
    }
  });

  it("refuses a code for another user: admin's ceremony answered with alice's code", async () => {
    const adminToken = await signIn(ADMIN);
    const adminStepUp = await newStepUp(ADMIN.username);
    const adminMetadata = { stepUpId: adminStepUp.id, accessToken: adminToken, method: 'email_otp' };
    const adminRound = await toCodeRound(ADMIN.username, adminMetadata);
    const aliceCode = await latestCode(ALICE.username);
    const adminCode = await latestCode(ADMIN.username);
    expect((await outbox(ADMIN.username)).every((m) => m.to === ADMIN.username)).toBe(true);
    if (aliceCode !== adminCode) {
      const out = await respond(ADMIN.username, adminRound.Session, aliceCode, adminMetadata);
      expect(out.AuthenticationResult).toBeUndefined();
    }
  });

  it("refuses a step-up with someone else's access token (either way round)", async () => {
    const adminToken = await signIn(ADMIN);
    const stepUp = await newStepUp();
    const started = await startCustomAuth(ALICE.username);
    await expect(
      respond(ALICE.username, started.Session, 'context', {
        stepUpId: stepUp.id,
        accessToken: adminToken,
        method: 'email_otp',
      }),
    ).rejects.toBeInstanceOf(NotAuthorizedException);
    const asAdmin = await startCustomAuth(ADMIN.username);
    await expect(
      respond(ADMIN.username, asAdmin.Session, 'context', {
        stepUpId: stepUp.id,
        accessToken: aliceToken,
        method: 'email_otp',
      }),
    ).rejects.toBeInstanceOf(NotAuthorizedException);
  });

  it('refuses the right code once it has expired', async () => {
    const stepUp = await newStepUp();
    const metadata = { stepUpId: stepUp.id, accessToken: aliceToken, method: 'email_otp' };
    const codeRound = await toCodeRound(ALICE.username, metadata);
    const code = await latestCode(ALICE.username);
    clock.now += 5 * 60_000 + 1000;
    const late = await respond(ALICE.username, codeRound.Session, code, metadata);
    expect(late.AuthenticationResult).toBeUndefined();
    aliceToken = await signIn(ALICE); // keep a fresh token for what follows
  });

  it('fails the ceremony on the third wrong code; no fourth try is possible, not even with the right code', async () => {
    const stepUp = await newStepUp();
    const metadata = { stepUpId: stepUp.id, accessToken: aliceToken, method: 'email_otp' };
    let round: RespondToAuthChallengeCommandOutput = await toCodeRound(ALICE.username, metadata);
    const code = await latestCode(ALICE.username);
    const wrong = code === '999999' ? '888888' : '999999';
    round = await respond(ALICE.username, round.Session, wrong, metadata);
    round = await respond(ALICE.username, round.Session, wrong, metadata);
    await expect(respond(ALICE.username, round.Session, wrong, metadata)).rejects.toBeInstanceOf(
      NotAuthorizedException,
    );
    await expect(respond(ALICE.username, round.Session, code, metadata)).rejects.toBeInstanceOf(NotAuthorizedException);
  });

  it('refuses forged and misused sessions', async () => {
    const stepUp = await newStepUp();
    clock.now += 31_000;
    const metadata = { stepUpId: stepUp.id, accessToken: aliceToken, method: 'email_otp' };
    const started = await startCustomAuth(ALICE.username);
    const session = started.Session!;
    const tampered = `${session.slice(0, 10)}${session[10] === 'A' ? 'B' : 'A'}${session.slice(11)}`;
    await expect(respond(ALICE.username, tampered, 'context', metadata)).rejects.toThrow(NotAuthorizedException);
    await expect(respond(ALICE.username, 'forged-session-claiming-a-passed-code', '123456', metadata)).rejects.toThrow(
      NotAuthorizedException,
    );
    // The genuine session is still usable once; bound to alice, it cannot be answered as admin.
    await expect(respond(ADMIN.username, session, 'context', metadata)).rejects.toThrow(NotAuthorizedException);
    const again = await startCustomAuth(ALICE.username);
    const codeRound = await respond(ALICE.username, again.Session, 'context', metadata);
    const code = await latestCode(ALICE.username);
    await respond(ALICE.username, codeRound.Session, code, metadata);
    await expect(respond(ALICE.username, codeRound.Session, code, metadata)).rejects.toThrow(NotAuthorizedException);
  });

  it('treats an unknown user like a known one (same challenges, same sign-in error)', async () => {
    const ghost = await startCustomAuth('nobody@example.com');
    expect(ghost.ChallengeName).toBe('CUSTOM_CHALLENGE');
    expect(ghost.ChallengeParameters).toMatchObject({ step: 'context' });
    const [wrongPassword, unknownUser] = await Promise.all([
      failureOf(srpSignIn(webPool(), ALICE.username, 'nope')),
      failureOf(srpSignIn(webPool(), 'nobody@example.com', 'nope')),
    ]);
    for (const error of [wrongPassword, unknownUser]) {
      expect(error.code).toBe('NotAuthorizedException');
      expect(error.message).toBe('Incorrect username or password.');
    }
  });

  it('offers local-web only the flows of the deployed web client (no plain password, no plain SRP)', async () => {
    for (const AuthFlow of ['USER_PASSWORD_AUTH', 'USER_SRP_AUTH'] as const) {
      await expect(
        cognito.send(
          new InitiateAuthCommand({
            AuthFlow,
            ClientId: CLIENT_ID,
            AuthParameters: { USERNAME: ALICE.username, PASSWORD: ALICE.password, SRP_A: 'abcdef' },
          }),
        ),
      ).rejects.toThrow(`${AuthFlow} flow not enabled for this client`);
    }
  });

  describe('sign-in: the password first (SRP), then the decision', () => {
    const STRANGER = { ip: '198.51.100.23', userAgent: 'curl/8.5.0', deviceId: 'attacker-device' };

    it('signs alice in with a real SRP exchange: password verifier, context with the decision token, the e-mailed code', async () => {
      const decision = await decide(ALICE.username, {}, 'auth.sign_in');
      expect(decision.decisionToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      // This context (an app flagged as automation-capable) steps up a sign-in too.
      expect(decision.decision).toBe('step_up');
      const metadata = { decisionToken: decision.decisionToken!, method: 'email_otp' };
      const sent = (await outbox(ALICE.username)).length;

      const context = await srpSignIn(webPool(), ALICE.username, ALICE.password);
      expect(context).toMatchObject({ kind: 'custom', parameters: { step: 'context' } });
      const codeRound = await answerCustomChallenge(
        (context as Extract<SrpStep, { kind: 'custom' }>).user,
        'context',
        metadata,
      );
      expect(codeRound).toMatchObject({ kind: 'custom', parameters: { step: 'code', method: 'email_otp' } });
      expect(await outbox(ALICE.username)).toHaveLength(sent + 1);
      const done = await answerCustomChallenge(
        (codeRound as Extract<SrpStep, { kind: 'custom' }>).user,
        await latestCode(ALICE.username),
        metadata,
      );
      expect(done.kind).toBe('tokens');
      const tokens = done as Extract<SrpStep, { kind: 'tokens' }>;
      expect(claimsOf(tokens.idToken)).toMatchObject({
        step_up_id: decision.stepUp!.id,
        'cognito:username': ALICE.username,
      });
      expect(claimsOf(tokens.accessToken)).toMatchObject({ client_id: CLIENT_ID });

      // The web client refreshes (and only its own refresh tokens).
      const refreshed = await cognito.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: CLIENT_ID,
          AuthParameters: { REFRESH_TOKEN: tokens.refreshToken },
        }),
      );
      expect(claimsOf(refreshed.AuthenticationResult?.AccessToken).username).toBe(ALICE.username);

      // The decision token signs in once: a second session under it (even with the password) gets no tokens.
      const again = await srpSignIn(webPool(), ALICE.username, ALICE.password);
      const error = await failureOf(
        answerCustomChallenge((again as Extract<SrpStep, { kind: 'custom' }>).user, 'context', metadata),
      );
      expect(error.code).toBe('NotAuthorizedException');
    });

    it('never yields tokens to a username-only sign-in, even with a valid decision token; nothing is sent or learned', async () => {
      const before = await decide(ALICE.username, {}, 'payment.transfer', STRANGER);
      const decision = await decide(ALICE.username, {}, 'auth.sign_in', STRANGER);
      expect(decision.decision).toBe('step_up');
      const metadata = { decisionToken: decision.decisionToken!, method: 'email_otp' };
      const sent = (await outbox(ALICE.username)).length;

      const started = await startCustomAuth(ALICE.username);
      await expect(respond(ALICE.username, started.Session, 'context', metadata)).rejects.toThrow(
        'Incorrect username or password.',
      );
      expect(await outbox(ALICE.username)).toHaveLength(sent);
      // The same with the step-up id named as well, and with the decision's step-up answered by a signed-in user's
      // metadata shape but no token: no code, no tokens.
      const second = await startCustomAuth(ALICE.username);
      await expect(
        respond(ALICE.username, second.Session, 'context', { ...metadata, stepUpId: decision.stepUp!.id }),
      ).rejects.toBeInstanceOf(NotAuthorizedException);
      expect(await outbox(ALICE.username)).toHaveLength(sent);

      // The attacker's context was not learned: the same payment from it is still not allowed, and every novelty it
      // brought is still novel. (Its score may move a little: the failed attempts in between are evidence too.)
      const after = await decide(ALICE.username, {}, 'payment.transfer', STRANGER);
      expect(after.decision).not.toBe('allow');
      const novelty = (d: typeof before) =>
        d.reasons.map((r) => r.code).filter((c) => c.startsWith('device.new') || c.startsWith('geo.new_'));
      expect(novelty(before)).toContain('device.new');
      expect(novelty(after)).toEqual(novelty(before));
    });

    it('fails a wrong password, and a replayed PASSWORD_VERIFIER answer', async () => {
      const wrong = await failureOf(srpSignIn(webPool(), ALICE.username, `${ALICE.password}x`));
      expect(wrong).toMatchObject({ code: 'NotAuthorizedException', message: 'Incorrect username or password.' });

      const proxy = await recordingProxy(runtime.url);
      try {
        await srpSignIn({ ...webPool(), endpoint: proxy.url }, ALICE.username, ALICE.password);
        const claim = proxy.calls.find(
          (c) => c.target.endsWith('.RespondToAuthChallenge') && c.body.ChallengeName === 'PASSWORD_VERIFIER',
        )!.body as { Session: string; ChallengeResponses: Record<string, string> };
        await expect(
          cognito.send(
            new RespondToAuthChallengeCommand({
              ChallengeName: 'PASSWORD_VERIFIER',
              ClientId: CLIENT_ID,
              Session: claim.Session,
              ChallengeResponses: claim.ChallengeResponses,
            }),
          ),
        ).rejects.toBeInstanceOf(NotAuthorizedException);
      } finally {
        await proxy.close();
      }
    });
  });

  it('answers TOTP before enrolment like after it: the same code round, which nothing passes', async () => {
    const stepUp = await newStepUp();
    expect(stepUp.methods).toContain('totp');
    const metadata = { stepUpId: stepUp.id, accessToken: aliceToken, method: 'totp' };
    const codeRound = await toCodeRound(ALICE.username, metadata);
    expect(codeRound.ChallengeParameters).toMatchObject({ method: 'totp', destination: 'authenticator app' });
    const out = await respond(ALICE.username, codeRound.Session, '123456', metadata);
    expect(out.AuthenticationResult).toBeUndefined();
  });

  it('refuses to enrol TOTP with a stolen access token alone: 403 naming the missing mfa.change step-up', async () => {
    const stolen = await postJson(`${runtime.url}/v1/step-up/totp/enroll`, aliceToken, {});
    expect(stolen.status).toBe(403);
    expect(stolen.body.error).toMatchObject({ code: 'step_up_required', field: 'stepUpId', action: 'mfa.change' });
    // A grant for another action does not do either.
    const payment = await newStepUp();
    const metadata = { stepUpId: payment.id, accessToken: aliceToken, method: 'email_otp' };
    const codeRound = await toCodeRound(ALICE.username, metadata);
    await respond(ALICE.username, codeRound.Session, await latestCode(ALICE.username), metadata);
    const borrowed = await postJson(`${runtime.url}/v1/step-up/totp/enroll`, aliceToken, {
      stepUpId: payment.id,
      deviceId: DEVICE,
    });
    expect(borrowed.status).toBe(403);
    expect(borrowed.body.error.code).toBe('step_up_invalid');
  });

  /** What an app does before changing authenticators: a decision for mfa.change, then the e-mail step-up. */
  const mfaChangeGrant = async () => {
    clock.now += 31_000; // past the resend interval of earlier ceremonies
    const decision = await decide(ALICE.username, {}, 'mfa.change');
    expect(decision.decision).toBe('step_up');
    const metadata = { stepUpId: decision.stepUp!.id, accessToken: aliceToken, method: 'email_otp' };
    const codeRound = await toCodeRound(ALICE.username, metadata);
    const done = await respond(ALICE.username, codeRound.Session, await latestCode(ALICE.username), metadata);
    expect(done.AuthenticationResult).toBeDefined();
    return decision.stepUp!.id;
  };

  it('enrols TOTP and steps up with it; the same TOTP code cannot be used twice', async () => {
    const grant = await mfaChangeGrant();
    const enroll = await postJson(`${runtime.url}/v1/step-up/totp/enroll`, aliceToken, {
      stepUpId: grant,
      deviceId: DEVICE,
    });
    expect(enroll.status).toBe(200);
    // One grant, one enrolment.
    const twice = await postJson(`${runtime.url}/v1/step-up/totp/enroll`, aliceToken, {
      stepUpId: grant,
      deviceId: DEVICE,
    });
    expect(twice.status).toBe(403);
    expect(twice.body.error.code).toBe('step_up_invalid');
    const secret = enroll.body.secret as string;
    expect(enroll.body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect((await postJson(`${runtime.url}/v1/step-up/totp/confirm`, aliceToken, { code: '000000' })).status).toBe(400);
    const confirm = await postJson(`${runtime.url}/v1/step-up/totp/confirm`, aliceToken, {
      code: generateTotp(secret, clock.now),
    });
    expect(confirm.status).toBe(200);
    expect((await postJson(`${runtime.url}/v1/step-up/totp/enroll`, aliceToken, {})).status).toBe(403);
    // The new authenticator is in the audit trail (kind, who, whom, authorised by which step-up), and the secret is
    // nowhere in it.
    const trail = await new DynamoDbAuditReader({
      client: runtime.context.dynamo,
      tableName: runtime.context.tables.audit,
      now: () => clock.now,
    }).exportRecords({ from: clock.now - 60_000, to: clock.now + 60_000, subject: ALICE.username });
    const enrolments = trail.records.filter((r) => r.event.kind === 'mfa.enrolled');
    expect(enrolments.map((r) => [r.event.subject, r.event.outcome, r.intact])).toEqual([
      [ALICE.username, 'active', true],
    ]);
    expect(enrolments[0]?.event.data).toMatchObject({
      authorisedBy: 'step_up',
      stepUpId: grant,
      stepUpMethod: 'email_otp',
    });
    expect(JSON.stringify(trail.records)).not.toContain(secret);

    clock.now += 30_000; // the step used to confirm is spent
    const stepUp = await newStepUp();
    expect(stepUp.methods).toContain('totp');
    const metadata = { stepUpId: stepUp.id, accessToken: aliceToken, method: 'totp' };
    const codeRound = await toCodeRound(ALICE.username, metadata);
    expect(codeRound.ChallengeParameters).toMatchObject({ method: 'totp', destination: 'authenticator app' });
    const code = generateTotp(secret, clock.now);
    const done = await respond(ALICE.username, codeRound.Session, code, metadata);
    expect(claimsOf(done.AuthenticationResult?.AccessToken)).toMatchObject({
      step_up_id: stepUp.id,
      step_up_amr: ['otp', 'totp'],
    });

    const again = await newStepUp();
    const replayRound = await toCodeRound(ALICE.username, { ...metadata, stepUpId: again.id });
    const replay = await respond(ALICE.username, replayRound.Session, code, { ...metadata, stepUpId: again.id });
    expect(replay.AuthenticationResult).toBeUndefined();
  });

  it('answers GetUser for a local access token', async () => {
    const user = await cognito.send(new GetUserCommand({ AccessToken: aliceToken }));
    expect(user.Username).toBe(ALICE.username);
    expect(user.UserAttributes).toEqual(expect.arrayContaining([{ Name: 'email', Value: ALICE.username }]));
  });
});
