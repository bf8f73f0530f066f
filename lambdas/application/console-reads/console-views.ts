import type { AuditEvent } from '../../core/audit/audit-event';
import { PASSED_OUTCOMES } from '../../core/audit/evidence-report';
import { KEY_MAPS, contextKeys, type ContextKeys } from '../../core/risk/context-keys';
import type { ProfileMaps, UserProfile } from '../../core/risk/types';
import type { RecordedEvent } from '../../ports/admin-event-store';

/**
 * What the security console reads beyond the tuning API: the overview's hourly tallies (from the audit trail, a
 * chunk at a time), the filter of the decision stream, and a user's trusted contexts with when and why each became
 * trusted. Pure: the stores page, these functions count and match.
 */

// ---------------------------------------------------------------------------------------------------- overview

/** The reason whose decisions mark a credential-stuffing burst: many distinct users from one address. */
export const STUFFING_REASON = 'velocity.ip_many_users';
const DECISIONS = ['allow', 'step_up', 'deny'] as const;
const HOUR_MS = 3_600_000;

export interface OverviewHour {
  /** Start of the hour, ISO-8601 UTC. */
  readonly hour: string;
  readonly allow: number;
  readonly step_up: number;
  readonly deny: number;
  readonly challengesIssued: number;
  readonly stepUpsPassed: number;
  readonly stepUpsFailed: number;
  /** Decisions that carried `velocity.ip_many_users`. */
  readonly stuffing: number;
}

export interface OverviewTotals {
  readonly records: number;
  readonly decisions: number;
  readonly hours: readonly OverviewHour[];
  readonly reasons: readonly { readonly code: string; readonly count: number }[];
}

type MutableHour = { -readonly [K in keyof OverviewHour]: OverviewHour[K] };

function emptyHour(hour: string): MutableHour {
  return {
    hour,
    allow: 0,
    step_up: 0,
    deny: 0,
    challengesIssued: 0,
    stepUpsPassed: 0,
    stepUpsFailed: 0,
    stuffing: 0,
  };
}

/** Counts audit records by hour: decisions by outcome, step-ups issued/passed/failed, stuffing, reasons. */
export class OverviewTally {
  private readonly hours = new Map<string, MutableHour>();
  private readonly reasons = new Map<string, number>();
  private records = 0;
  private decisions = 0;

  add(event: AuditEvent): void {
    this.records += 1;
    const at = Date.parse(event.at);
    if (!Number.isFinite(at)) return;
    const key = new Date(Math.floor(at / HOUR_MS) * HOUR_MS).toISOString();
    let hour = this.hours.get(key);
    if (!hour) {
      hour = emptyHour(key);
      this.hours.set(key, hour);
    }
    switch (event.kind) {
      case 'decision': {
        const outcome = event.outcome;
        if (outcome === 'allow' || outcome === 'step_up' || outcome === 'deny') hour[outcome] += 1;
        this.decisions += 1;
        for (const code of event.reasons ?? []) {
          this.reasons.set(code, (this.reasons.get(code) ?? 0) + 1);
          if (code === STUFFING_REASON) hour.stuffing += 1;
        }
        break;
      }
      case 'step_up.challenge_issued':
        hour.challengesIssued += 1;
        break;
      case 'step_up.verification':
        if (PASSED_OUTCOMES.has(event.outcome ?? '')) hour.stepUpsPassed += 1;
        else hour.stepUpsFailed += 1;
        break;
      default:
        break;
    }
  }

  totals(topReasons = 10): OverviewTotals {
    return {
      records: this.records,
      decisions: this.decisions,
      hours: [...this.hours.values()].sort((a, b) => a.hour.localeCompare(b.hour)),
      reasons: [...this.reasons.entries()]
        .map(([code, count]) => ({ code, count }))
        .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
        .slice(0, topReasons),
    };
  }
}

/** Adds two chunks' totals (the console merges the chunks of one window). */
export function mergeOverview(a: OverviewTotals, b: OverviewTotals, topReasons = 10): OverviewTotals {
  const hours = new Map<string, MutableHour>();
  for (const h of [...a.hours, ...b.hours]) {
    const into = hours.get(h.hour) ?? emptyHour(h.hour);
    for (const field of [...DECISIONS, 'challengesIssued', 'stepUpsPassed', 'stepUpsFailed', 'stuffing'] as const) {
      into[field] += h[field];
    }
    hours.set(h.hour, into);
  }
  const reasons = new Map<string, number>();
  for (const r of [...a.reasons, ...b.reasons]) reasons.set(r.code, (reasons.get(r.code) ?? 0) + r.count);
  return {
    records: a.records + b.records,
    decisions: a.decisions + b.decisions,
    hours: [...hours.values()].sort((x, y) => x.hour.localeCompare(y.hour)),
    reasons: [...reasons.entries()]
      .map(([code, count]) => ({ code, count }))
      .sort((x, y) => y.count - x.count || x.code.localeCompare(y.code))
      .slice(0, topReasons),
  };
}

// ---------------------------------------------------------------------------------------------------- stream

export interface DecisionFilter {
  readonly userId?: string;
  readonly action?: string;
  readonly decision?: 'allow' | 'step_up' | 'deny';
  /** A reason code, e.g. `geo.new_country`. */
  readonly reason?: string;
  /** The address as stored: raw, or its pseudonym when the policy hashes identifiers. */
  readonly ip?: string;
}

export function matchesFilter(event: RecordedEvent, filter: DecisionFilter): boolean {
  if (filter.userId !== undefined && event.userId !== filter.userId) return false;
  if (filter.action !== undefined && event.action !== filter.action) return false;
  if (filter.decision !== undefined && event.decision !== filter.decision) return false;
  if (filter.reason !== undefined && !event.reasons.some((r) => r.code === filter.reason)) return false;
  if (filter.ip !== undefined && event.features.ip !== filter.ip) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------- trusted

export type ContextKind = keyof ContextKeys;

export interface TrustedContext {
  readonly kind: ContextKind;
  readonly value: string;
  /** Trusted events that carried it (the profile's count). */
  readonly count: number;
  readonly lastSeen: string;
  /** The oldest decision of the scanned history that taught it, when one was found. */
  readonly since?: { readonly at: string; readonly decisionId: string; readonly why: string };
}

export interface TrustedProfileView {
  readonly userId: string;
  readonly createdAt?: string;
  readonly trustedEvents: number;
  readonly trusted: readonly TrustedContext[];
  /** Seen without proof (challenged, failed, abandoned): never lowers risk. */
  readonly unverified: readonly Omit<TrustedContext, 'since'>[];
  /** How many of the user's newest decisions were scanned to find when each context became trusted. */
  readonly historyScanned: number;
  readonly historyComplete: boolean;
}

/**
 * Why a recorded decision taught its context to the profile: an allow below the learning threshold, or a decision
 * that redeemed a passed step-up. Anything else (a step-up asked, a deny) teaches nothing.
 */
export function teachingReason(event: RecordedEvent, trustBelowScore: number): string | undefined {
  if (event.decision !== 'allow') return undefined;
  if (event.reasons.some((r) => r.code === 'step_up.satisfied')) return 'passed a step-up (step_up.satisfied)';
  if (event.score < trustBelowScore) return `allowed at low risk (score ${event.score} < ${trustBelowScore})`;
  return undefined;
}

function entries(
  maps: ProfileMaps | undefined,
): { kind: ContextKind; value: string; count: number; lastSeen: number }[] {
  const out: { kind: ContextKind; value: string; count: number; lastSeen: number }[] = [];
  if (!maps) return out;
  for (const [kind, name] of KEY_MAPS) {
    const map = maps[name] ?? {};
    for (const value of Object.keys(map)) {
      const s = map[value];
      if (s) out.push({ kind, value, count: s.count, lastSeen: s.lastSeen });
    }
  }
  return out.sort((a, b) => b.lastSeen - a.lastSeen);
}

/**
 * The profile's trusted contexts, each with the oldest decision among `history` (any order) that taught it. A
 * context learned before the retained history began shows no `since`.
 */
export function trustedProfileView(
  userId: string,
  profile: UserProfile | undefined,
  history: readonly RecordedEvent[],
  trustBelowScore: number,
  historyComplete: boolean,
): TrustedProfileView {
  const firstTaught = new Map<string, { at: number; decisionId: string; why: string }>();
  const oldestFirst = [...history].sort((a, b) => a.at - b.at);
  for (const event of oldestFirst) {
    const why = teachingReason(event, trustBelowScore);
    // A decision stored without its context (an old record) cannot say which contexts it taught.
    if (!why || event.features.ip === '') continue;
    const keys = contextKeys(event.features);
    for (const [kind] of KEY_MAPS) {
      const value = keys[kind];
      if (value === undefined) continue;
      const id = `${kind}\u0000${value}`;
      if (!firstTaught.has(id)) firstTaught.set(id, { at: event.at, decisionId: event.decisionId, why });
    }
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    userId,
    ...(profile ? { createdAt: iso(profile.createdAt) } : {}),
    trustedEvents: profile?.trustedEvents ?? 0,
    trusted: entries(profile?.trusted).map((e) => {
      const since = firstTaught.get(`${e.kind}\u0000${e.value}`);
      return {
        kind: e.kind,
        value: e.value,
        count: e.count,
        lastSeen: iso(e.lastSeen),
        ...(since ? { since: { at: iso(since.at), decisionId: since.decisionId, why: since.why } } : {}),
      };
    }),
    unverified: entries(profile?.unverified).map((e) => ({
      kind: e.kind,
      value: e.value,
      count: e.count,
      lastSeen: iso(e.lastSeen),
    })),
    historyScanned: history.length,
    historyComplete,
  };
}
