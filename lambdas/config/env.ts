/**
 * Reading configuration from the environment, for the wiring files only (the core and handlers never see
 * process.env). A missing variable fails the cold start with a message naming it, not a confusing error later.
 */
export class MissingConfigError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is required`);
    this.name = 'MissingConfigError';
  }
}

export function requiredEnv(name: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new MissingConfigError(name);
  return value;
}

export function optionalEnv(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function listEnv(name: string, env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  return requiredEnv(name, env)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
