import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AppSecretKey } from '../contracts/app-secrets';
import type { AppSecrets, AppSecretsSource } from '../ports/app-secrets';

/**
 * Reads the application secret (JSON `{ decisionTokenKey, otpPepper, pseudonymKey, cursorKey }`) once per Lambda
 * instance.
 */
export class SecretsManagerAppSecrets implements AppSecretsSource {
  private pending: Promise<AppSecrets> | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretArn: string,
  ) {}

  get(): Promise<AppSecrets> {
    // A failed fetch is not cached, so the next request retries instead of the instance staying broken.
    this.pending ??= this.fetch().catch((error: unknown) => {
      this.pending = undefined;
      throw error;
    });
    return this.pending;
  }

  private async fetch(): Promise<AppSecrets> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretArn }));
    const parsed = JSON.parse(out.SecretString ?? '{}') as Record<string, unknown>;
    const field = (name: AppSecretKey): string => {
      const value = parsed[name];
      if (typeof value !== 'string' || value.length < 16)
        throw new Error(`application secret lacks a usable "${name}"`);
      return value;
    };
    return {
      decisionTokenKey: Buffer.from(field('decisionTokenKey'), 'base64url'),
      otpPepper: field('otpPepper'),
      pseudonymKey: field('pseudonymKey'),
      cursorKey: Buffer.from(field('cursorKey'), 'base64url'),
    } satisfies Record<AppSecretKey, unknown>;
  }
}

/** Local runtime and tests: random secrets for the life of the process. */
export class EphemeralAppSecrets implements AppSecretsSource {
  private readonly secrets: AppSecrets;

  constructor(random: (n: number) => Buffer) {
    this.secrets = {
      decisionTokenKey: random(32),
      otpPepper: random(32).toString('base64url'),
      pseudonymKey: random(32).toString('base64url'),
      cursorKey: random(32),
    } satisfies Record<AppSecretKey, unknown>;
  }

  get(): Promise<AppSecrets> {
    return Promise.resolve(this.secrets);
  }
}
