/** Fields of one log line: summaries a reader can act on (ids, reason codes, counts, error names). */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Structured log lines, one JSON object each. What goes in is chosen field by field, never a whole event or request:
 * Cognito trigger events carry the answers of challenges, ClientMetadata carries tokens, and bodies carry personal
 * data, so nothing a caller sent is logged unless it is an identifier the code has already validated.
 */
export interface Log {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}
