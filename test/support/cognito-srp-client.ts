import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
} from 'amazon-cognito-identity-js';

/**
 * The client half of Cognito's SRP, as apps run it: amazon-cognito-identity-js, unmodified, pointed at the local
 * runtime. `CUSTOM_AUTH` makes it start with `CHALLENGE_NAME: SRP_A` and answer PASSWORD_VERIFIER itself; what
 * comes back is either a custom challenge (the step-up's context or code round) or tokens.
 */

export type SrpStep =
  | { readonly kind: 'custom'; readonly parameters: Record<string, string>; readonly user: CognitoUser }
  | { readonly kind: 'tokens'; readonly accessToken: string; readonly idToken: string; readonly refreshToken: string };

/** The library's error objects carry Cognito's `__type` as `code`. */
export type CognitoJsError = Error & { code?: string };

export interface SrpPool {
  readonly endpoint: string;
  readonly userPoolId: string;
  readonly clientId: string;
}

function callbacks(user: CognitoUser, resolve: (step: SrpStep) => void, reject: (error: CognitoJsError) => void) {
  return {
    onSuccess: (session: CognitoUserSession) =>
      resolve({
        kind: 'tokens',
        accessToken: session.getAccessToken().getJwtToken(),
        idToken: session.getIdToken().getJwtToken(),
        refreshToken: session.getRefreshToken().getToken(),
      }),
    onFailure: (error: CognitoJsError) => reject(error),
    customChallenge: (parameters: Record<string, string>) => resolve({ kind: 'custom', parameters, user }),
  };
}

/** InitiateAuth CUSTOM_AUTH with SRP_A, then PASSWORD_VERIFIER: the first custom challenge, or a failure. */
export function srpSignIn(pool: SrpPool, username: string, password: string): Promise<SrpStep> {
  const userPool = new CognitoUserPool({
    UserPoolId: pool.userPoolId,
    ClientId: pool.clientId,
    endpoint: pool.endpoint,
  });
  const user = new CognitoUser({ Username: username, Pool: userPool });
  user.setAuthenticationFlowType('CUSTOM_AUTH');
  return new Promise((resolve, reject) =>
    user.authenticateUser(
      new AuthenticationDetails({ Username: username, Password: password }),
      callbacks(user, resolve, reject),
    ),
  );
}

/** RespondToAuthChallenge CUSTOM_CHALLENGE on the session the library keeps. */
export function answerCustomChallenge(
  user: CognitoUser,
  answer: string,
  clientMetadata: Record<string, string>,
): Promise<SrpStep> {
  return new Promise((resolve, reject) =>
    user.sendCustomChallengeAnswer(answer, callbacks(user, resolve, reject), clientMetadata),
  );
}

export interface RecordedCall {
  readonly target: string;
  readonly body: Record<string, unknown>;
}

/**
 * A pass-through proxy in front of the emulator that records each request body, so a test can replay exactly what
 * the SRP client sent (the library keeps its requests to itself).
 */
export async function recordingProxy(targetBaseUrl: string): Promise<{
  url: string;
  calls: RecordedCall[];
  close: () => Promise<void>;
}> {
  const calls: RecordedCall[] = [];
  const target = new URL(targetBaseUrl);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        calls.push({
          target: String(req.headers['x-amz-target'] ?? ''),
          body: JSON.parse(body.toString('utf8')) as Record<string, unknown>,
        });
      } catch {
        // not JSON: forwarded, not recorded
      }
      const forward = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: target.host },
        },
        (upstream) => {
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
