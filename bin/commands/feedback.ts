import { CliError, type Command } from '../cli';
import type { FeedbackResponse } from '../../lambdas/handlers/admin/responses';
import { api, connect, CONNECTION_HELP, parse } from './admin-client';

const USAGE = `usage:
  stepgate feedback <decisionId> fraud|legit [--note <text>]    label a recorded decision
  stepgate feedback <decisionId> none                          remove its label

Labels feed the "fraud caught" and "legit friction" figures of simulate and shadow reports. Every label and
removal is an audit record (who, when, before, after); a removed label stays in the audit trail.

${CONNECTION_HELP}`;

export const feedbackCommand: Command = {
  summary: 'label a recorded decision fraud or legit (reversible, audited)',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parse(args, { note: { type: 'string' } }, USAGE);
    const [decisionId, label] = positionals;
    if (values.help || !decisionId || !label) {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    if (!['fraud', 'legit', 'none'].includes(label))
      throw new CliError(`label must be fraud, legit or none\n\n${USAGE}`, 2);
    const conn = await connect(values);
    const res = await api<FeedbackResponse>(
      conn,
      'POST',
      `/v1/admin/events/${encodeURIComponent(decisionId)}/feedback`,
      {
        body: { label, ...(values.note ? { note: values.note } : {}) },
      },
    );
    console.log(
      res.body.label === 'none'
        ? `${decisionId}: label removed`
        : `${decisionId}: labelled ${res.body.label} by ${res.body.by ?? '?'} (revision ${res.body.revision ?? '?'})`,
    );
    return 0;
  },
};
