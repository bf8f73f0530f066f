import { parseArgs } from 'node:util';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CliError, type Command } from '../cli';
import { DynamoDbAuditReader } from '../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import type { PolicyChange } from '../../lambdas/core/policy/policy-diff';
import { decisionResponseSchema } from '../../lambdas/handlers/openapi/response-schemas';
import type { DiffResponse, PolicyResponse, PutPolicyResponse } from '../../lambdas/handlers/admin/responses';
import { localIdentities } from '../../lambdas/local/local-identities';
import { connectAuditTable } from './audit';
import { renderChanges } from './policy';
import { request, stackUrl, URL_HELP } from './stack';

/**
 * `npm run demo` (`stepgate demo`): the main story against a running `npm start`, each step printed as it happens,
 * every answer checked. It creates the history it relies on, so it tells the same story on a fresh stack.
 *
 * The demo stands in for an app whose user is already signed in: it gets her tokens with USER_PASSWORD_AUTH on the
 * local-only script client (the web client, like the deployed one, signs in only through SRP and the sign-in
 * decision), then runs the step-up on the web client as a real app would.
 */
export const SCRIPT_CLIENT_ID = 'local-script';
const WEB_CLIENT_ID = 'local-web';

const USAGE = `usage: stepgate demo [--url <url>]      (what \`npm run demo\` runs, against a running \`npm start\`)

Walks stepgate's main story and prints each step: a familiar sign-in is allowed; the same user on a new device
abroad asking to transfer money is stepped up, with its reasons; she passes an e-mail OTP through Cognito custom
auth (the unmodified AWS SDK client against the local Cognito; the code is read from the local outbox); the app
redeems the step-up and is allowed; an admin changes the policy and sees the diff; the audit trail verifies.
It first records the history the story needs (three ordinary sign-ins), so run it on a fresh stack. It exits 1 as
soon as an answer is not the expected one.

${URL_HELP}`;

const HOUR = 3_600_000;
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
/** geoip-lite places these in New York and Berlin. */
const NEW_YORK = '72.229.28.185';
const BERLIN = '2.204.10.20';

type Decision = ReturnType<typeof decisionResponseSchema.parse>;

export interface DemoResult {
  readonly history: readonly Decision[];
  readonly familiar: Decision;
  readonly stepUp: Decision;
  readonly stepUpClaims: Record<string, unknown>;
  readonly redeemed: Decision;
  readonly policy: { readonly from: number; readonly to: number; readonly changes: readonly PolicyChange[] };
  readonly audit: { readonly ok: boolean; readonly chains: number; readonly records: number; readonly breaks: number };
}

export interface DemoOptions {
  readonly url: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly print?: (line: string) => void;
  readonly now?: () => number;
}

class StoryBroken extends CliError {}

function expectThat(ok: boolean, what: string): void {
  if (!ok) throw new StoryBroken(`the story broke: ${what}`);
}

const claimsOf = (jwt: string | undefined): Record<string, unknown> =>
  JSON.parse(Buffer.from(String(jwt).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

function ago(ms: number): string {
  return ms <= 0 ? 'now' : `${Math.round(ms / HOUR)} h ago`;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { url } = options;
  const print = options.print ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  const ids = localIdentities(options.env ?? process.env);
  const user = (name: string) => {
    const found = ids.users.find((u) => u.username === name || u.username.startsWith(`${name}@`));
    if (!found) throw new CliError(`the local identities have no ${name}`);
    return found;
  };
  const alice = user('alice');
  const admin = user('admin');

  const json = async (path: string, init: RequestInit & { token?: string; body?: string }) => {
    const res = await request(`${url}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the message below
    }
    if (res.status >= 300) {
      throw new StoryBroken(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    }
    return { status: res.status, body, headers: res.headers };
  };

  // The app backend's token (client credentials), as any app gets one.
  const tokenRes = await request(`${url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${ids.appClient.clientId}:${ids.appClient.clientSecret ?? ''}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  const appToken = ((await tokenRes.json().catch(() => ({}))) as { access_token?: string }).access_token;
  expectThat(tokenRes.status === 200 && !!appToken, `the token endpoint answered ${tokenRes.status}`);

  const decide = async (body: Record<string, unknown>): Promise<Decision> => {
    const res = await json('/v1/decisions', { method: 'POST', token: appToken!, body: JSON.stringify(body) });
    const parsed = decisionResponseSchema.safeParse(res.body);
    expectThat(parsed.success, `the decision answer does not match its schema: ${JSON.stringify(res.body)}`);
    return parsed.data!;
  };
  const context = (ip: string, deviceId: string | undefined, at: number) => ({
    ip,
    userAgent: FIREFOX,
    ...(deviceId ? { deviceId } : {}),
    ...(at < now() ? { timestamp: new Date(at).toISOString() } : {}),
  });
  const reasonLines = (d: Decision) =>
    d.reasons.map((r) => `     ${String(r.points).padStart(3)}  ${r.code.padEnd(22)} ${r.detail}`);
  const answerLine = (d: Decision) =>
    `   → ${d.decision}, score ${d.score} (${d.riskLevel} risk), policy v${d.policyVersion}`;

  const cognito = new CognitoIdentityProviderClient({
    endpoint: url,
    region: 'us-east-1',
    // The local Cognito ignores them; the SDK wants some.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    print('stepgate demo: the main story, step by step');
    print('');

    // History: what makes the next sign-in "familiar". Timestamps in the past are accepted back to 24 h.
    const start = now();
    print(`History: ${alice.username} signs in from New York on her laptop (Firefox on Windows), three times:`);
    const history: Decision[] = [];
    for (const hoursAgo of [23, 22, 21]) {
      const at = start - hoursAgo * HOUR;
      const d = await decide({
        userId: alice.username,
        action: 'auth.sign_in',
        context: context(NEW_YORK, 'alice-laptop', at),
      });
      history.push(d);
      const points = d.reasons.filter((r) => r.points !== 0).map((r) => `${r.code} ${r.points}`);
      print(
        `   ${ago(start - at).padEnd(9)} auth.sign_in → ${d.decision}, score ${d.score}${points.length ? `  (${points.join(', ')})` : ''}`,
      );
      const earlier =
        history.length === 1 && !d.reasons.some((r) => r.code === 'user.new')
          ? ` (${alice.username} already has a history on this stack, e.g. from an earlier demo: restart \`npm start\` ` +
            'for a fresh stack; it keeps its data in memory)'
          : '';
      expectThat(
        d.decision === 'allow',
        `history sign-in ${hoursAgo} h ago answered ${d.decision}, not allow${earlier}`,
      );
      // The story starts from a user the stack has never seen: a known one may still be allowed, but not as new.
      expectThat(earlier === '', `history sign-in ${hoursAgo} h ago did not find a new user${earlier}`);
    }
    print('   Each was allowed at low risk, so each taught her profile this place, network and device.');
    print('');

    print('1. A familiar sign-in: 10 hours ago, same laptop, New York');
    const familiar = await decide({
      userId: alice.username,
      action: 'auth.sign_in',
      context: context(NEW_YORK, 'alice-laptop', start - 10 * HOUR),
    });
    print(answerLine(familiar));
    for (const line of reasonLines(familiar)) print(line);
    expectThat(familiar.decision === 'allow', `the familiar sign-in answered ${familiar.decision}, not allow`);
    print('');

    // The device sends no device id (a browser without the app's device cookie): to the app, a device it never saw.
    // That stays true after the step-up, so step 4 shows the grant, not a learned context, letting it through.
    print('2. Now, in Berlin, from a browser without her device cookie, she asks to transfer money (payment.transfer)');
    const abroad = {
      userId: alice.username,
      action: 'payment.transfer',
      context: context(BERLIN, undefined, start),
    };
    const stepUp = await decide(abroad);
    print(answerLine(stepUp));
    for (const line of reasonLines(stepUp)) print(line);
    expectThat(
      stepUp.decision === 'step_up' && !!stepUp.stepUp,
      `the transfer from Berlin answered ${stepUp.decision}, not step_up`,
    );
    const pending = stepUp.stepUp!;
    print(`   step-up ${pending.id}: ${pending.methods.join(' or ')}, before ${pending.expiresAt}`);
    print(`   www-authenticate for the client: ${stepUp.wwwAuthenticate ?? '(none)'}`);
    print('');

    print(`3. ${alice.username} passes an e-mail OTP through Cognito custom auth (AWS SDK client, local Cognito)`);
    const signedIn = await cognito.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: SCRIPT_CLIENT_ID,
        AuthParameters: { USERNAME: alice.username, PASSWORD: alice.password },
      }),
    );
    const accessToken = signedIn.AuthenticationResult?.AccessToken;
    expectThat(!!accessToken, 'alice could not sign in');
    print(
      `   InitiateAuth USER_PASSWORD_AUTH (client ${SCRIPT_CLIENT_ID}) → her access token (the app already has it)`,
    );
    const metadata = { stepUpId: pending.id, accessToken: accessToken!, method: 'email_otp' };
    const started = await cognito.send(
      new InitiateAuthCommand({
        AuthFlow: 'CUSTOM_AUTH',
        ClientId: WEB_CLIENT_ID,
        AuthParameters: { USERNAME: alice.username },
      }),
    );
    expectThat(started.ChallengeParameters?.step === 'context', 'custom auth did not start with the context round');
    print(`   InitiateAuth CUSTOM_AUTH (client ${WEB_CLIENT_ID}) → ${started.ChallengeName} step "context"`);
    const respond = (session: string | undefined, answer: string) =>
      cognito.send(
        new RespondToAuthChallengeCommand({
          ChallengeName: 'CUSTOM_CHALLENGE',
          ClientId: WEB_CLIENT_ID,
          Session: session,
          ChallengeResponses: { USERNAME: alice.username, ANSWER: answer },
          ClientMetadata: metadata,
        }),
      );
    const codeRound = await respond(started.Session, 'context');
    expectThat(codeRound.ChallengeParameters?.step === 'code', 'the context round did not lead to a code round');
    print(
      `   RespondToAuthChallenge "context" + {stepUpId, accessToken, method: email_otp} → step "code", ` +
        `code sent to ${codeRound.ChallengeParameters?.destination ?? '?'}`,
    );
    const outbox = await json(`/local/outbox?to=${encodeURIComponent(alice.username)}`, { method: 'GET' });
    const messages = (outbox.body as { messages?: { code?: string }[] }).messages ?? [];
    const code = messages.at(-1)?.code;
    expectThat(typeof code === 'string' && /^\d{6,}$/.test(code), 'no code in the local outbox');
    print(`   GET /local/outbox?to=${alice.username} → the newest message's code (${'*'.repeat(code!.length)})`);
    const done = await respond(codeRound.Session, code!);
    const stepUpClaims = claimsOf(done.AuthenticationResult?.AccessToken);
    expectThat(stepUpClaims.step_up_id === pending.id, 'the new tokens do not carry the step-up');
    print(
      `   RespondToAuthChallenge <code> → new tokens with step_up_id ${String(stepUpClaims.step_up_id)}, ` +
        `acr ${String(stepUpClaims.step_up_acr)}`,
    );
    print('');

    print('4. The app asks again with the passed step-up (stepUpId)');
    const redeemed = await decide({ ...abroad, stepUpId: pending.id });
    print(answerLine(redeemed));
    for (const line of reasonLines(redeemed)) print(line);
    expectThat(
      redeemed.decision === 'allow' && redeemed.reasons.some((r) => r.code === 'step_up.satisfied'),
      `the redeemed step-up answered ${redeemed.decision} without step_up.satisfied`,
    );
    print('');

    print(`5. Security staff change the policy (${admin.username}, group risk-admins)`);
    const adminSignIn = await cognito.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: SCRIPT_CLIENT_ID,
        AuthParameters: { USERNAME: admin.username, PASSWORD: admin.password },
      }),
    );
    const adminToken = adminSignIn.AuthenticationResult?.AccessToken;
    expectThat(!!adminToken, 'the admin could not sign in');
    const active = (await json('/v1/admin/policy', { method: 'GET', token: adminToken! })).body as PolicyResponse;
    const policy = structuredClone(active.policy);
    // Payments need a fresher proof: a passed step-up serves `high` actions for 2 minutes instead of 5. Run again
    // on the same stack, the demo puts it back, so that there is always a change to show.
    const before = policy.levels.high.maxAgeSeconds;
    policy.levels.high.maxAgeSeconds = before === 120 ? 300 : 120;
    const reason = `demo: a step-up serves high actions for ${policy.levels.high.maxAgeSeconds} s`;
    const put = await json('/v1/admin/policy', {
      method: 'PUT',
      token: adminToken!,
      headers: { 'if-match': `"${active.version}"` },
      body: JSON.stringify({ policy, reason }),
    });
    const version = (put.body as PutPolicyResponse).version;
    expectThat(put.status === 200 && version === active.version + 1, `the policy change answered ${put.status}`);
    print(`   PUT /v1/admin/policy (If-Match "${active.version}", reason "${reason}") → version ${version}`);
    const diff = (
      await json(`/v1/admin/policy/diff?from=${active.version}&to=${version}`, { method: 'GET', token: adminToken! })
    ).body as DiffResponse;
    print(`   GET /v1/admin/policy/diff?from=${active.version}&to=${version}:`);
    for (const line of renderChanges(diff.changes).split('\n')) print(`     ${line}`);
    expectThat(diff.changes.length === 1, `the diff shows ${diff.changes.length} changes, not 1`);
    print('');

    print('6. The audit trail verifies (stepgate audit verify: every hash chain recomputed)');
    const table = await connectAuditTable(url, options.env ?? process.env);
    let audit: DemoResult['audit'];
    try {
      const v = await new DynamoDbAuditReader({ client: table.client, tableName: table.table }).verifyAll(now());
      audit = { ok: v.ok, chains: v.chains, records: v.records, breaks: v.breaks.length };
    } finally {
      table.client.destroy();
    }
    print(
      `   audit trail ${audit.ok ? 'VERIFIED' : 'BROKEN'}: ${audit.chains} chains, ${audit.records} records, ` +
        `${audit.breaks} breaks`,
    );
    expectThat(audit.ok, 'the audit trail does not verify');
    print('');
    print('The story held. Next: docs/api.md (the decision API), docs/step-up.md, docs/tuning.md, docs/cli.md.');
    return {
      history,
      familiar,
      stepUp,
      stepUpClaims,
      redeemed,
      policy: { from: diff.from, to: diff.to, changes: diff.changes },
      audit,
    };
  } finally {
    cognito.destroy();
  }
}

export const demoCommand: Command = {
  summary: 'walk the main story against a running `npm start` (npm run demo): allow, step-up, redeem, policy, audit',
  usage: USAGE,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({ args, options: { url: { type: 'string' } }, strict: true }));
    } catch (error) {
      throw new CliError(`${(error as Error).message}\n\n${USAGE}`, 2);
    }
    await runDemo({ url: stackUrl(values) });
    return 0;
  },
};
