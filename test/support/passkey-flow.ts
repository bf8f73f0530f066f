import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { appToken, postJson } from './local-runtime';

export const ALICE = { username: 'alice@example.com', password: 'Alice-Local-1!' };
const CLIENT_ID = 'local-web';
const BERLIN = '2.204.10.20';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

/**
 * What an app does around passkeys, through the local runtime: decisions with the app's token, and step-ups with
 * the unmodified AWS SDK Cognito client pointed at the runtime.
 */
export class PasskeyFlow {
  readonly cognito: CognitoIdentityProviderClient;
  private app: string | undefined;

  constructor(readonly runtime: LocalRuntime) {
    this.cognito = new CognitoIdentityProviderClient({
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  }

  destroy(): void {
    this.cognito.destroy();
  }

  async decide(action: string, extra: Record<string, unknown> = {}) {
    this.app ??= await appToken(this.runtime.url);
    const res = await postJson(`${this.runtime.url}/v1/decisions`, this.app, {
      userId: ALICE.username,
      action,
      context: { ip: BERLIN, userAgent: BROWSER },
      ...extra,
    });
    if (res.status !== 200) throw new Error(`decision answered ${res.status}`);
    return res.body as {
      decision: string;
      reasons: { code: string }[];
      stepUp?: { id: string; methods: string[]; acrValues: string[] };
    };
  }

  respond(session: string | undefined, answer: string, metadata: Record<string, string>) {
    return this.cognito.send(
      new RespondToAuthChallengeCommand({
        ChallengeName: 'CUSTOM_CHALLENGE',
        ClientId: CLIENT_ID,
        Session: session,
        ChallengeResponses: { USERNAME: ALICE.username, ANSWER: answer },
        ClientMetadata: metadata,
      }),
    );
  }

  /** Steps 1 and 2 of the custom-auth protocol: the code round (with its challenge parameters). */
  async codeRound(metadata: Record<string, string>) {
    const started = await this.cognito.send(
      new InitiateAuthCommand({
        AuthFlow: 'CUSTOM_AUTH',
        ClientId: CLIENT_ID,
        AuthParameters: { USERNAME: ALICE.username },
      }),
    );
    if (started.ChallengeParameters?.step !== 'context') throw new Error('expected the context round');
    return this.respond(started.Session, 'context', metadata);
  }

  async latestCode(): Promise<string> {
    const res = await fetch(`${this.runtime.url}/local/outbox?to=${encodeURIComponent(ALICE.username)}`);
    const body = (await res.json()) as { messages: { code: string }[] };
    return body.messages.at(-1)!.code;
  }

  /** A passed mfa.change step-up by e-mail code: what registering or removing a passkey redeems. */
  async mfaChangeGrant(accessToken: string): Promise<string> {
    const decision = await this.decide('mfa.change');
    if (decision.decision !== 'step_up' || !decision.stepUp) throw new Error('expected a step-up for mfa.change');
    const metadata = { stepUpId: decision.stepUp.id, accessToken, method: 'email_otp' };
    const round = await this.codeRound(metadata);
    const done = await this.respond(round.Session, await this.latestCode(), metadata);
    if (!done.AuthenticationResult) throw new Error('the e-mail step-up did not pass');
    return decision.stepUp.id;
  }
}

export const claimsOf = (jwt: string | undefined): Record<string, unknown> =>
  JSON.parse(Buffer.from(String(jwt).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
