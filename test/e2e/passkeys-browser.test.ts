import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { PASSKEY_PAGE_PATH } from '../../lambdas/local/passkey-test-page';
import { postJson, startTestRuntime, userTokens } from '../support/local-runtime';
import { ALICE, claimsOf, PasskeyFlow } from '../support/passkey-flow';

/**
 * A passkey in a real browser: headless Chromium with a virtual authenticator (DevTools WebAuthn domain) on the
 * local runtime's passkey page, the API called as an app would, and the step-up driven by the unmodified AWS SDK
 * Cognito client. The browser does only what a browser does: create and sign with the credential.
 */
const CHROMIUM = process.env.STEPGATE_CHROMIUM ?? '/usr/bin/chromium';

describe('passkeys in headless Chromium (virtual authenticator, local runtime)', () => {
  let runtime: LocalRuntime;
  let flow: PasskeyFlow;
  let browser: Browser;
  let page: Page;
  let aliceToken: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
    runtime = await startTestRuntime();
    flow = new PasskeyFlow(runtime);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    // The RP ID is `localhost`: the page must be on that origin (an IP address cannot be an RP ID).
    await page.goto(`${runtime.url.replace('127.0.0.1', 'localhost')}${PASSKEY_PAGE_PATH}`);
    aliceToken = (await userTokens(runtime.url, ALICE.username, ALICE.password)).accessToken;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    flow?.destroy();
    await runtime?.stop();
  });

  const inBrowser = (fn: 'create' | 'get', optionsJson: string) =>
    page.evaluate(
      ([f, json]) =>
        (globalThis as unknown as { stepgatePasskeys: Record<string, (j: string) => Promise<string>> })
          .stepgatePasskeys[f]!(json),
      [fn, optionsJson] as const,
    );

  it('registers a passkey behind an mfa.change step-up, then passes a critical step-up with it', async () => {
    const grant = await flow.mfaChangeGrant(aliceToken);
    const start = await postJson(`${runtime.url}/v1/step-up/passkeys/register/start`, aliceToken, { stepUpId: grant });
    expect(start.status).toBe(200);
    expect(start.body.options.rp.id).toBe('localhost');
    const attestation = await inBrowser('create', JSON.stringify(start.body.options));
    const finish = await postJson(`${runtime.url}/v1/step-up/passkeys/register/finish`, aliceToken, {
      response: JSON.parse(attestation),
      name: 'Chromium virtual authenticator',
    });
    expect(finish.status).toBe(201);
    expect(finish.body.passkey).toMatchObject({ name: 'Chromium virtual authenticator' });

    const decision = await flow.decide('admin.production_access');
    expect(decision.decision).toBe('step_up');
    expect(decision.stepUp!.methods).toContain('webauthn');
    const metadata = { stepUpId: decision.stepUp!.id, accessToken: aliceToken, method: 'webauthn' };
    const round = await flow.codeRound(metadata);
    expect(round.ChallengeParameters).toMatchObject({ step: 'code', method: 'webauthn', rpId: 'localhost' });
    const options = JSON.parse(round.ChallengeParameters!.options!) as { allowCredentials: { id: string }[] };
    expect(options.allowCredentials.map((c) => c.id)).toEqual([JSON.parse(attestation).id]);

    const assertion = await inBrowser('get', round.ChallengeParameters!.options!);
    const done = await flow.respond(round.Session, assertion, metadata);
    expect(claimsOf(done.AuthenticationResult?.AccessToken)).toMatchObject({
      step_up_id: decision.stepUp!.id,
      step_up_amr: ['hwk', 'user'],
    });
    const redeemed = await flow.decide('admin.production_access', { stepUpId: decision.stepUp!.id });
    expect(redeemed.decision).toBe('allow');
    expect(redeemed.reasons.map((r) => r.code)).toContain('step_up.satisfied');
  }, 90_000);
});
