import { PowertoolsLog } from '../../adapters/powertools-log';
import type { Log } from '../../ports/log';

/** How HTTP handlers report a failure: a summary of fields, never the request. */
export type ErrorSummaryLog = (summary: Record<string, unknown>) => void;

/**
 * The `logError` option of the HTTP handlers, which summarise a failure as fields (`event` when it has a name,
 * `name`, `message`, `code` of an unexpected error; never the request): one ERROR line on the Log port.
 */
export function errorSummaries(log: Log): ErrorSummaryLog {
  return ({ event, ...fields }) => log.error(typeof event === 'string' ? event : 'unexpected error', fields);
}

let fallback: ErrorSummaryLog | undefined;

/**
 * What a handler logs failures with when whoever built it passed no `logError` (tests and scripts that build a
 * handler directly): the same Powertools JSON lines the deployed functions write, created on first use.
 */
export function defaultErrorLog(): ErrorSummaryLog {
  fallback ??= errorSummaries(new PowertoolsLog());
  return fallback;
}
