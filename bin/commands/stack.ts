import { CliError } from '../cli';
import { LOCAL_INFO_PATH, localInfoSchema, type LocalInfo } from '../../lambdas/local/local-info';

/**
 * The one setting that points every `stepgate` command at a stack: `--url`, else STEPGATE_URL, else the local
 * runtime on its default port. Commands that talk to the API use it directly; those that read DynamoDB directly
 * (audit) ask the local runtime at that URL where its DynamoDB Local and tables are (`GET /local/info`).
 */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

export const URL_HELP = `  --url <url>          the stepgate stack (default $STEPGATE_URL, else ${DEFAULT_URL}: \`npm start\`)`;

export function stackUrl(values: { url?: string | undefined }, env: NodeJS.ProcessEnv = process.env): string {
  const raw = values.url ?? (env.STEPGATE_URL || DEFAULT_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${values.url !== undefined ? '--url' : 'STEPGATE_URL'}: not a URL: "${raw}"`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`${values.url !== undefined ? '--url' : 'STEPGATE_URL'}: must be http(s), got "${raw}"`, 2);
  }
  return raw.replace(/\/+$/, '');
}

/** fetch, with the two failures a person at the terminal can fix turned into one clear line each. */
export async function request(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const origin = new URL(url).origin;
    if (cause?.code === 'ECONNREFUSED') {
      throw new CliError(`cannot reach stepgate at ${origin}: is \`npm start\` running? (or set STEPGATE_URL)`);
    }
    throw new CliError(`request to ${origin} failed: ${(error as Error).message}`);
  }
}

/** Where the local runtime at `url` keeps its data. A deployed API has no such route: say what to set instead. */
export async function localInfo(url: string): Promise<LocalInfo> {
  const res = await request(`${url}${LOCAL_INFO_PATH}`);
  const body: unknown = await res.json().catch(() => undefined);
  const parsed = localInfoSchema.safeParse(body);
  if (res.status !== 200 || !parsed.success) {
    throw new CliError(
      `${url} is not a stepgate local runtime (no ${LOCAL_INFO_PATH}); against AWS set ` +
        'STEPGATE_DYNAMODB_ENDPOINT=aws and STEPGATE_AUDIT_TABLE (or STEPGATE_TABLE_PREFIX)',
    );
  }
  return parsed.data;
}
