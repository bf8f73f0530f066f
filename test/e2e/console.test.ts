import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildConsole, CONSOLE_DIST } from '../../lambdas/local/console-static';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { appToken, postJson, startTestRuntime } from '../support/local-runtime';

/**
 * The security console in a real headless Chromium (the Debian `chromium` package driven by playwright-core),
 * against the local runtime: sign-in through the local managed login with PKCE, the decision stream, a weight
 * raised with its diff and backtest, a second admin's approval, the auditor's read-only view and a user outside
 * both groups refused. It saves screenshots of the main screens to docs/console/ when STEPGATE_SCREENSHOTS=1.
 */
const CHROMIUM = process.env.STEPGATE_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.STEPGATE_SCREENSHOTS === '1';
const SHOTS_DIR = path.resolve(__dirname, '..', '..', 'docs', 'console');
const SECOND_ADMIN = { username: 'second-admin@example.com', password: 'Second-Admin-Local-1!' };
const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

jest.setTimeout(180_000);

describe('security console in a headless browser', () => {
  let runtime: LocalRuntime;
  let browser: Browser;

  beforeAll(async () => {
    // Built once per run, from the sources under test (a stale console/dist would test old code).
    await buildConsole();
    runtime = await startTestRuntime({
      env: {
        STEPGATE_SECOND_ADMIN_USER: SECOND_ADMIN.username,
        STEPGATE_SECOND_ADMIN_PASSWORD: SECOND_ADMIN.password,
      },
    });
    // playwright-core launches Chromium with a fresh temporary --user-data-dir of its own (and removes it on close).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  /** A fresh browser context (no cookies, no storage) signed in through the console's managed login. */
  async function signIn(username: string, password: string): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${runtime.url}/console/`);
    await page.getByTestId('sign-in').click();
    await page.waitForURL(/\/oauth2\/authorize/);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#sign-in');
    await page.waitForURL(/\/console\/(#.*)?$/);
    return { page, problems };
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`), fullPage: false });
  }

  async function adminApi(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
    const { users, webClient } = runtime.context.identities;
    const admin = users.find((u) => u.username === 'admin@example.com')!;
    const token = (await runtime.context.issuer.userTokens(admin, webClient.clientId, Math.floor(Date.now() / 1000)))
      .AccessToken;
    const res = await fetch(`${runtime.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
    return { status: res.status, body: (await res.json()) as any, headers: res.headers };
  }

  it('ships at most 150 KB of gzipped JavaScript (the console budget)', () => {
    const assets = path.join(CONSOLE_DIST, 'assets');
    const scripts = readdirSync(assets).filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(assets, f))).length, 0);
    expect(gzipped).toBeLessThanOrEqual(150 * 1024);
  });

  it('admin signs in, sees a decision with its reasons, raises a weight, backtests it; a second admin approves; it decides the next request', async () => {
    const app = await appToken(runtime.url);
    const decide = (ip: string, deviceId: string) =>
      postJson(`${runtime.url}/v1/decisions`, app, {
        userId: 'alice@example.com',
        action: 'profile.update',
        context: { ip, userAgent: CHROME_MAC, deviceId },
      });
    // History for the stream and the backtest: a few decisions from new devices.
    const first = await decide('12.45.10.20', 'laptop-1');
    expect(first.status).toBe(200);
    await decide('12.45.10.20', 'laptop-1');
    // A new device at home: allowed now (device.new 25), a step-up once new devices weigh 80.
    expect((await decide('12.45.10.20', 'laptop-9')).body.decision).toBe('allow');
    await decide('1.72.10.20', 'phone-2');
    // Changes need a second person (tightening the policy applies at once).
    const active = await adminApi('GET', '/v1/admin/policy');
    const approvalOn = await adminApi(
      'PUT',
      '/v1/admin/policy',
      { policy: { ...active.body.policy, approval: { required: true } }, reason: 'two-person rule for the e2e test' },
      { 'if-match': `"${active.body.version}"` },
    );
    expect(approvalOn.status).toBe(200);
    const baseVersion = approvalOn.body.version as number;

    const { page, problems } = await signIn('admin@example.com', 'Admin-Local-1!');
    await page.getByTestId('who').waitFor();
    expect(await page.getByTestId('who').textContent()).toContain('admin@example.com');
    await page.getByTestId('decisions-total').waitFor();
    await shot(page, 'overview');

    // The decision made through the API is in the stream; opening it shows its reasons as a points bar.
    await page.getByTestId('nav-decisions').click();
    const row = page.getByTestId(`decision-${first.body.decisionId}`);
    await row.waitFor();
    await row.click();
    const detail = page.getByTestId('decision-detail');
    await detail.waitFor();
    for (const reason of first.body.reasons as { code: string; points: number }[]) {
      if (reason.points > 0) {
        expect(await detail.getByTestId(`segment-${reason.code}`).getAttribute('data-points')).toBe(
          String(reason.points),
        );
      }
    }
    expect(await detail.getByTestId('detail-policy-version').textContent()).toBe(String(first.body.policyVersion));
    await shot(page, 'decisions');

    // The policy editor: a schema error shows at its field; then raise a weight and see the diff.
    await page.getByTestId('nav-policy').click();
    await page.getByTestId('active-version').waitFor();
    await page.getByTestId('field-levels.medium.stepUpAt').fill('500');
    await page.getByTestId('error-levels.medium.stepUpAt').waitFor();
    expect(await page.getByTestId('submit-policy').isDisabled()).toBe(true);
    await page.getByTestId('field-levels.medium.stepUpAt').fill(String(active.body.policy.levels.medium.stepUpAt));
    await page.getByTestId('error-levels.medium.stepUpAt').waitFor({ state: 'detached' });
    await page.getByTestId('field-weights.evidence.device').fill('3');
    await page.getByTestId('diff').waitFor();
    expect(await page.getByTestId('diff').textContent()).toContain('"device": 3');
    expect(await page.getByTestId('change-count').textContent()).toBe('1 changes');
    await shot(page, 'policy');

    // What-if: the backtest of the draft; its count of changed decisions is the simulate API's.
    await page.getByTestId('nav-what-if').click();
    await page.getByTestId('run-backtest').click();
    await page.getByTestId('backtest').waitFor();
    await page.getByTestId('chart-before-after').locator('canvas').waitFor();
    const shown = Number(await page.getByTestId('changed-count').textContent());
    const draft = {
      ...active.body.policy,
      approval: { required: true },
      weights: {
        ...active.body.policy.weights,
        evidence: { ...active.body.policy.weights.evidence, device: 3 },
      },
      version: baseVersion + 1,
    };
    const to = new Date(Date.now() + 60_000).toISOString();
    const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const simulated = await adminApi('POST', '/v1/admin/policy/simulate', { policy: draft, from, to });
    expect(simulated.status).toBe(200);
    expect(shown).toBe(simulated.body.report.changed);
    expect(shown).toBeGreaterThan(0);
    await shot(page, 'what-if');

    // Submit with a reason: it waits for a second admin.
    await page.getByTestId('nav-policy').click();
    await page.getByTestId('reason').fill('new devices weigh more after the phishing wave');
    await page.getByTestId('submit-policy').click();
    await page.getByTestId('submit-result').waitFor();
    expect(await page.getByTestId('submit-result').textContent()).toContain('awaits a second admin');
    expect(problems).toEqual([]);
    await page.context().close();

    const second = await signIn(SECOND_ADMIN.username, SECOND_ADMIN.password);
    await second.page.getByTestId('nav-policy').click();
    const approve = second.page.getByTestId(`approve-${baseVersion + 1}`);
    await approve.waitFor();
    await approve.click();
    await second.page.getByTestId(`pending-${baseVersion + 1}`).waitFor({ state: 'detached' });
    expect(await second.page.getByTestId('active-version').textContent()).toContain(`version ${baseVersion + 1}`);
    expect(second.problems).toEqual([]);
    await second.page.context().close();

    // The next request is decided by the new version (the decide path caches the policy for a few seconds).
    let next = await decide('1.72.10.20', 'tablet-3');
    for (let i = 0; i < 40 && next.body.policyVersion !== baseVersion + 1; i++) {
      await new Promise((r) => setTimeout(r, 250));
      next = await decide('1.72.10.20', `tablet-${4 + i}`);
    }
    expect(next.body.policyVersion).toBe(baseVersion + 1);
    // The device's evidence now counts three times: a likelihood ratio of ~5 gives ~14 points at weight 1, ~40 at 3.
    const deviceNew = (next.body.reasons as { code: string; points: number }[]).find((r) => r.code === 'device.new');
    expect(deviceNew?.points).toBeGreaterThan(30);
  });

  it('an auditor sees verify ok and no edit controls; the API still refuses a change', async () => {
    const { page, problems } = await signIn('auditor@example.com', 'Auditor-Local-1!');
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('verify-status').waitFor();
    expect(await page.getByTestId('verify-status').textContent()).toBe('verify ok');
    await shot(page, 'audit');

    await page.getByTestId('nav-policy').click();
    await page.getByTestId('active-version').waitFor();
    await page.getByTestId('versions').waitFor();
    expect(await page.locator('[data-testid^="field-"]').count()).toBe(0);
    expect(await page.getByTestId('submit-policy').count()).toBe(0);
    expect(await page.locator('[data-testid^="approve-"]').count()).toBe(0);

    await page.getByTestId('nav-decisions').click();
    await page.locator('tr.row').first().click();
    await page.getByTestId('decision-detail').waitFor();
    expect(await page.getByTestId('label-fraud').count()).toBe(0);
    expect(problems).toEqual([]);

    // Controls absent, and the API refuses anyway: an auditor's token cannot change the policy.
    const { users, webClient } = runtime.context.identities;
    const auditor = users.find((u) => u.username === 'auditor@example.com')!;
    const token = (await runtime.context.issuer.userTokens(auditor, webClient.clientId, Math.floor(Date.now() / 1000)))
      .AccessToken;
    const put = await fetch(`${runtime.url}/v1/admin/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ policy: {}, reason: 'x' }),
    });
    expect(put.status).toBe(403);
    await page.context().close();
  });

  it('refuses a user outside both groups at sign-in: the console shows nothing', async () => {
    const { page } = await signIn('alice@example.com', 'Alice-Local-1!');
    const error = page.getByTestId('signin-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('only for members of risk-admins or risk-auditors');
    expect(await page.getByTestId('who').count()).toBe(0);
    expect(await page.locator('nav').count()).toBe(0);
    await page.context().close();
  });
});
