import type { Log, LogFields } from '../../lambdas/ports/log';

export interface LoggedLine extends Record<string, unknown> {
  readonly level: 'INFO' | 'WARN' | 'ERROR';
  readonly message: string;
}

/** A Log that keeps every line, for tests that check what was (and was not) logged. */
export class RecordingLog implements Log {
  readonly lines: LoggedLine[] = [];

  info(message: string, fields: LogFields = {}): void {
    this.lines.push({ ...fields, level: 'INFO', message });
  }

  warn(message: string, fields: LogFields = {}): void {
    this.lines.push({ ...fields, level: 'WARN', message });
  }

  error(message: string, fields: LogFields = {}): void {
    this.lines.push({ ...fields, level: 'ERROR', message });
  }
}

/** A Log that drops every line. */
export const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
