import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EphemeralAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { APP_SECRET_KEYS, type AppSecretKey } from '../contracts/app-secrets';
import type { AppSecrets, AppSecretsSource } from '../ports/app-secrets';

export const LOCAL_SECRETS_FILE = 'stepgate-app-secrets.json';

/**
 * The local runtime's application secret. In memory, a random one per process (like the data). With
 * STEPGATE_DATA_DIR the data outlives the process, and so must the keys it was written with: profiles keyed by
 * pseudonyms and sealed TOTP seeds are useless under another key. So the secret lives in a file beside the data
 * (owner-only permissions), made on first start; it is the local stand-in for Secrets Manager, never a table.
 */
export function localAppSecrets(dataDir: string | undefined): AppSecretsSource {
  if (dataDir === undefined) return new EphemeralAppSecrets((n) => randomBytes(n));
  const file = join(dataDir, LOCAL_SECRETS_FILE);
  let stored: Record<string, unknown> = {};
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `${file} is not a stepgate secrets file (${(error as Error).message}); move it away to start afresh`,
      );
    }
  }
  const usable = (value: unknown) => typeof value === 'string' && value.length >= 16;
  const missing = APP_SECRET_KEYS.filter((key) => !usable(stored[key]));
  if (missing.length > 0) {
    for (const key of missing) stored[key] = randomBytes(32).toString('base64url');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  const text = (key: AppSecretKey) => stored[key] as string;
  const secrets: AppSecrets = {
    decisionTokenKey: Buffer.from(text('decisionTokenKey'), 'base64url'),
    otpPepper: text('otpPepper'),
    pseudonymKey: text('pseudonymKey'),
    cursorKey: Buffer.from(text('cursorKey'), 'base64url'),
  } satisfies Record<AppSecretKey, unknown>;
  return { get: () => Promise.resolve(secrets) };
}
