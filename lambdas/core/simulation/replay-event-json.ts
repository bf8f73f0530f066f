import { z } from 'zod';
import type { ReplayEvent } from './simulation';

/**
 * The wire and file form of a replayable event (API pages, `stepgate events --export` JSON lines, the offline
 * `stepgate simulate --events file.jsonl`): a `ReplayEvent` with its time as ISO-8601 instead of epoch ms.
 */
export interface ReplayEventJson extends Omit<ReplayEvent, 'at'> {
  readonly at: string;
}

const decision = z.enum(['allow', 'step_up', 'deny']);

// Features and the replay input are checked for shape only: they were written by the service itself, and the
// engine treats absent optional parts as absent. Unknown keys are kept (a newer exporter may add some).
const eventSchema = z.object({
  decisionId: z.string().min(1).max(256),
  userId: z.string().min(1).max(256),
  action: z.string().min(1).max(128),
  at: z.iso.datetime({ offset: true }),
  features: z.looseObject({
    ip: z.string().max(64),
    geo: z.looseObject({ kind: z.enum(['public', 'private', 'loopback', 'reserved', 'unknown']) }),
    device: z.looseObject({
      deviceType: z.string(),
      isBot: z.boolean(),
      isHeadless: z.boolean(),
      isCli: z.boolean(),
      uaMissing: z.boolean().optional(),
    }),
  }),
  recorded: z.object({
    decision,
    score: z.number().min(0).max(100),
    policyVersion: z.number().int().min(0),
  }),
  replay: z.looseObject({ v: z.number() }).optional(),
  label: z.enum(['fraud', 'legit']).optional(),
});

export function toReplayEventJson(event: ReplayEvent): ReplayEventJson {
  return { ...event, at: new Date(event.at).toISOString() };
}

export type ParsedReplayEvent = { ok: true; event: ReplayEvent } | { ok: false; path: string; message: string };

/** Validates one event of a file or API page. Never throws. */
export function parseReplayEventJson(value: unknown): ParsedReplayEvent {
  const parsed = eventSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      path: (issue?.path ?? []).map(String).join('.') || '(event)',
      message: issue?.message ?? 'invalid',
    };
  }
  const { at, ...rest } = parsed.data;
  return { ok: true, event: { ...(rest as unknown as Omit<ReplayEvent, 'at'>), at: Date.parse(at) } };
}
