import type { Log } from '../ports/log';

/**
 * The `logError` option of the HTTP handlers, which summarise a failure as fields (`event` when it has a name,
 * `name`, `message`, `code` of an unexpected error; never the request): one ERROR line on the Log port.
 */
export function errorSummaries(log: Log): (summary: Record<string, unknown>) => void {
  return ({ event, ...fields }) => log.error(typeof event === 'string' ? event : 'unexpected error', fields);
}
