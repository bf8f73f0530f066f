import type { ContextKeys } from '../core/risk/context-keys';
import type { Evaluation, EvaluationInput, Policy, RequestFeatures, UserProfile } from '../core/risk/types';
import type { DeviceParser } from '../ports/device-parser';
import type { GeoLocator } from '../ports/geo-locator';
import {
  EvaluationMetrics,
  historyBucket,
  LEGIT,
  SEGMENTS,
  type HistoryBucket,
  type Segment,
} from './evaluation-metrics';
import { GlobalCounts, ProfileStore, VelocityWindows } from './login-history';
import type { RbaLogin } from './rba-row';
import { rowFeatures } from './row-features';

const DAY = 86_400_000;

/** The engine, as the evaluator drives it (the real one in production wiring, a stub in some tests). */
export interface LoginScorer {
  evaluate(input: EvaluationInput): Evaluation;
  learn(profile: UserProfile | undefined, features: RequestFeatures, now: number, how: 'trusted'): UserProfile;
  contextKeys(features: RequestFeatures): ContextKeys;
}

export interface LoginEvaluatorOptions {
  policy: Policy;
  /** The catalogue action a login is scored as. */
  action: string;
  /** Rows in the first days of the replay are reported apart: no engine has history for them yet. */
  warmupDays: number;
  /** Pass the dataset's "Is Attack IP" to the engine as threat-feed input. */
  threatFeed: boolean;
  /** The dataset's bucket for logins to accounts that do not exist: scored as unknown users, never learned. */
  unknownUserId?: string;
  /** Attacker model per row index (from a generator's labels file); rows without one are "ato" or legit. */
  labelOf?: (index: number) => string | undefined;
  history: { hotProfiles: number; maxUsers: number; maxGlobalKeys: number };
}

export interface RowResult {
  index: number;
  decision: Evaluation['decision'];
  score: number;
  segment: Segment;
  bucket: HistoryBucket;
  label: string;
  evaluation: Evaluation;
}

export interface Deps {
  scorer: LoginScorer;
  locator: GeoLocator;
  devices: DeviceParser;
}

/**
 * Replays logins in time order through the engine, each scored with only the history before it, and simulates
 * what follows each decision from the row's outcome columns (which are read only after the score is fixed):
 *
 * - deny: the attempt ends; nothing is learned.
 * - password failed (`Login Successful` false): a failed sign-in, counted by the velocity windows.
 * - step-up: an account takeover is stopped (the attacker cannot pass it; a failed step-up is counted); a
 *   legitimate user passes it and the login becomes trusted history.
 * - allow: the login teaches the profile when the engine says it may (allow at low risk), takeover or not: one
 *   takeover let through makes the attacker look familiar afterwards, as it would in production.
 */
export class LoginEvaluator {
  readonly metrics = new EvaluationMetrics();
  readonly profiles: ProfileStore;
  readonly global: GlobalCounts;
  readonly velocity = new VelocityWindows();
  readonly segmentRows: Record<Segment, number> = {
    'with-history': 0,
    'first-login': 0,
    'warm-up': 0,
    'unknown-account': 0,
  };
  /** Where each row's AS number came from: the CSV's ASN column, the network lookup of its IP, or nowhere. */
  readonly asnSource = { csv: 0, lookup: 0, none: 0 };
  rows = 0;
  firstTimestamp: number | undefined;
  lastTimestamp: number | undefined;
  private readonly usersSeen = new Set<string>();
  private countUsers = true;

  constructor(
    private readonly deps: Deps,
    private readonly options: LoginEvaluatorOptions,
  ) {
    this.profiles = new ProfileStore({
      hot: Math.max(1, options.history.hotProfiles),
      maxUsers: options.history.maxUsers,
      retentionDays: options.policy.retention.riskHistoryDays,
    });
    this.global = new GlobalCounts(options.history.maxGlobalKeys);
  }

  /** Scores one row; rows must come in time order (a late row is treated as happening now). */
  process(row: RbaLogin): RowResult {
    const { scorer } = this.deps;
    const now = Math.max(row.timestamp, this.lastTimestamp ?? -Infinity);
    this.firstTimestamp ??= now;
    this.lastTimestamp = now;
    this.rows++;
    if (this.countUsers) {
      this.usersSeen.add(row.userId);
      // Counting distinct users is for the report only; stop before the set itself becomes the memory problem.
      if (this.usersSeen.size > 1_000_000) {
        this.countUsers = false;
        this.usersSeen.clear();
      }
    }

    const unknownAccount = row.userId === this.options.unknownUserId;
    const profile = unknownAccount ? undefined : this.profiles.get(row.userId);
    const features = rowFeatures(row, this.deps.locator, this.deps.devices);
    this.asnSource[row.asn !== undefined ? 'csv' : features.geo.asn !== undefined ? 'lookup' : 'none']++;
    const keys = scorer.contextKeys(features);
    const input: EvaluationInput = {
      userId: row.userId,
      action: this.options.action,
      now,
      features,
      velocity: this.velocity.counts(row.userId, row.ip, now),
      global: this.global.stats(keys),
      policy: this.options.policy,
    };
    if (profile) input.profile = profile;
    if (this.options.threatFeed && row.isAttackIp) input.threat = { attackIp: true };
    const evaluation = scorer.evaluate(input);

    // ---- Nothing above this line reads the row's outcome columns. ----
    const prior = profile?.trustedEvents ?? 0;
    const bucket = historyBucket(prior);
    const segment: Segment =
      now < this.firstTimestamp + this.options.warmupDays * DAY
        ? 'warm-up'
        : unknownAccount
          ? 'unknown-account'
          : prior === 0
            ? 'first-login'
            : 'with-history';
    this.segmentRows[segment]++;
    const label = this.options.labelOf?.(row.index) ?? (row.isAccountTakeover ? 'ato' : LEGIT);
    if (label !== LEGIT || row.loginSuccessful)
      this.metrics.add(segment, bucket, label, evaluation.score, evaluation.decision);

    this.simulateOutcome(row, now, evaluation, profile, features, keys, unknownAccount);
    return {
      index: row.index,
      decision: evaluation.decision,
      score: evaluation.score,
      segment,
      bucket,
      label,
      evaluation,
    };
  }

  private simulateOutcome(
    row: RbaLogin,
    now: number,
    evaluation: Evaluation,
    profile: UserProfile | undefined,
    features: RequestFeatures,
    keys: ContextKeys,
    unknownAccount: boolean,
  ): void {
    this.velocity.record('request', row.userId, row.ip, now);
    let learned: UserProfile | undefined;
    if (evaluation.decision === 'deny') {
      // Blocked before the password mattered.
    } else if (!row.loginSuccessful) {
      this.velocity.record('failedSignIn', row.userId, row.ip, now);
    } else if (evaluation.decision === 'step_up') {
      if (row.isAccountTakeover) this.velocity.record('failedStepUp', row.userId, row.ip, now);
      else learned = this.deps.scorer.learn(profile, features, now, 'trusted');
    } else if (evaluation.teaches) {
      learned = this.deps.scorer.learn(profile, features, now, 'trusted');
    }
    if (unknownAccount) return;
    if (learned) this.global.add(keys);
    this.profiles.touch(row.userId, now, learned);
  }

  /** Distinct users, or undefined when there were too many to count cheaply. */
  get distinctUsers(): number | undefined {
    return this.countUsers ? this.usersSeen.size : undefined;
  }

  summary() {
    return {
      headline: this.metrics.summarize(['with-history']),
      byHistory: Object.fromEntries(
        (['1-4', '5-19', '20+'] as const).map((b) => [b, this.metrics.summarize(['with-history'], [b])]),
      ),
      apart: {
        firstLogin: this.metrics.summarize(['first-login']),
        warmUp: this.metrics.summarize(['warm-up']),
        unknownAccount: this.metrics.summarize(['unknown-account']),
      },
      all: this.metrics.summarize(SEGMENTS),
      roc: this.metrics.roc(['with-history']),
    };
  }
}
