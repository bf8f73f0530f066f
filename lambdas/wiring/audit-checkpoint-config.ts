import { requiredEnv } from '../config/env';
import { ENV } from '../contracts/environment';

/** CHECKPOINT_RETENTION_DAYS as a whole number of days ≥ 1; a bad value fails the cold start, naming it. */
export function checkpointRetentionDays(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = requiredEnv(ENV.checkpointRetentionDays, env);
  const days = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(days) || days < 1) {
    throw new Error(`${ENV.checkpointRetentionDays} must be a whole number of days, got "${raw}"`);
  }
  return days;
}
