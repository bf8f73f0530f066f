import { contextKeys, type ContextKeys } from '../../lambdas/core/risk/context-keys';
import { evaluate } from '../../lambdas/core/risk/engine';
import { learn, newlyTrusted, recordFailure } from '../../lambdas/core/risk/learning';
import type { FailureOrigin, LearnOptions } from '../../lambdas/core/risk/learning';
import type { Evaluation, EvaluationInput, Policy, RequestFeatures, UserProfile } from '../../lambdas/core/risk/types';
import type { DeviceParser } from '../../lambdas/ports/device-parser';
import type { GeoLocator } from '../../lambdas/ports/geo-locator';
import { EvaluationMetrics, LEGIT, SEGMENTS, type HistoryBucket, type Segment } from './evaluation-metrics';
import { GlobalCounts, ProfileStore, VelocityWindows } from './login-history';
import type { RbaLogin } from './rba-row';
import { HistorySegmenter } from './replay-segments';
import { rowFeatures } from './row-features';

/** The engine, as the evaluator drives it (the real one in production wiring, a stub in some tests). */
export interface LoginScorer {
  evaluate(input: EvaluationInput): Evaluation;
  learn(
    profile: UserProfile | undefined,
    features: RequestFeatures,
    now: number,
    how: 'trusted' | 'observed',
    options?: LearnOptions,
  ): UserProfile;
  contextKeys(features: RequestFeatures): ContextKeys;
  /** Notes a failed sign-in or step-up in the profile (see core `recordFailure`). */
  recordFailure(profile: UserProfile | undefined, now: number, origin?: FailureOrigin): UserProfile;
  newlyTrusted(prev: UserProfile | undefined, next: UserProfile, keys: ContextKeys): string[];
}

/** The stepgate engine itself, as the evaluator drives it. */
export const ENGINE_SCORER: LoginScorer = { evaluate, learn, contextKeys, recordFailure, newlyTrusted };

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
  /** What the ROC ranks by: the unrounded score. */
  rank: number;
  segment: Segment;
  bucket: HistoryBucket;
  label: string;
  evaluation?: Evaluation;
}

/** An engine replayed over login rows: the stepgate engine, or an anchor such as Freeman et al.'s model. */
export interface ReplayEvaluator {
  readonly metrics: EvaluationMetrics;
  readonly segmentRows: Record<Segment, number>;
  /** Where each row's AS number came from: the CSV's ASN column, the network lookup of its IP, or nowhere. */
  readonly asnSource: Record<'csv' | 'lookup' | 'none', number>;
  rows: number;
  /** `features`: the row's features when the caller already computed them (several engines, one row). */
  process(row: RbaLogin, features?: RequestFeatures, label?: string): RowResult;
  summary(): ReturnType<typeof summarize>;
}

/** The report's view of a replay's metrics. */
export function summarize(metrics: EvaluationMetrics) {
  return {
    headline: metrics.summarize(['with-history']),
    byHistory: Object.fromEntries(
      (['1-4', '5-19', '20+'] as const).map((b) => [b, metrics.summarize(['with-history'], [b])]),
    ),
    apart: {
      firstLogin: metrics.summarize(['first-login']),
      warmUp: metrics.summarize(['warm-up']),
      unknownAccount: metrics.summarize(['unknown-account']),
    },
    all: metrics.summarize(SEGMENTS),
    roc: metrics.roc(['with-history']),
  };
}

export interface Deps {
  scorer: LoginScorer;
  locator: GeoLocator;
  devices: DeviceParser;
}

/**
 * Replays logins in time order through the engine, each scored with only the history before it, and simulates
 * what follows each decision from the row's outcome columns (which are read only after the score is fixed), as the
 * service's decide and post-authentication functions do:
 *
 * - deny: the attempt ends; nothing is learned.
 * - password failed (`Login Successful` false): a failed sign-in, counted by the velocity windows (with its
 *   address) and noted in the profile.
 * - step-up: an account takeover is stopped (the attacker cannot pass it; a failed step-up is counted); a
 *   legitimate user passes it and the login's context becomes trusted.
 * - allow: the login is recorded as observed when the engine says it may (allow at low risk), takeover or not: its
 *   new values wait in the profile until confirmed on another day, so one takeover let through does not make the
 *   attacker look familiar, while one that comes back on later days, unchallenged, eventually would.
 */
export class LoginEvaluator implements ReplayEvaluator {
  readonly metrics = new EvaluationMetrics();
  private readonly segmenter: HistorySegmenter;
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
    this.segmenter = new HistorySegmenter({
      warmupDays: options.warmupDays,
      unknownUserId: options.unknownUserId,
      retentionDays: options.policy.retention.riskHistoryDays,
      maxUsers: options.history.maxUsers,
    });
  }

  /** Scores one row; rows must come in time order (a late row is treated as happening now). */
  process(row: RbaLogin, known?: RequestFeatures, knownLabel?: string): RowResult {
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
    const features = known ?? rowFeatures(row, this.deps.locator, this.deps.devices);
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
    const failuresBefore = input.velocity.userFailedSignIns > 0 || input.velocity.userFailedStepUps > 0;

    // ---- Nothing above this line reads the row's outcome columns. ----
    const { segment, bucket } = this.segmenter.classify(row, now);
    this.segmentRows[segment]++;
    const label = knownLabel ?? this.options.labelOf?.(row.index) ?? (row.isAccountTakeover ? 'ato' : LEGIT);
    if (label !== LEGIT || row.loginSuccessful)
      this.metrics.add(segment, bucket, label, evaluation.rawScore, evaluation.decision);

    this.simulateOutcome(row, now, evaluation, profile, features, keys, unknownAccount, failuresBefore);
    this.segmenter.settle(row, now);
    return {
      index: row.index,
      decision: evaluation.decision,
      score: evaluation.score,
      rank: evaluation.rawScore,
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
    afterFailures: boolean,
  ): void {
    const { scorer } = this.deps;
    const learning = { learning: this.options.policy.learning, geo: this.options.policy.geo, afterFailures };
    const network = keys.asn ?? keys.prefix;
    this.velocity.record('request', row.userId, row.ip, now, network);
    const origin = { ip: keys.ip, ...(network !== undefined ? { network } : {}) };
    let next: UserProfile | undefined;
    let learned = false;
    if (evaluation.decision === 'deny') {
      // Blocked before the password mattered.
    } else if (!row.loginSuccessful) {
      this.velocity.record('failedSignIn', row.userId, row.ip, now);
      if (profile) next = scorer.recordFailure(profile, now, origin);
    } else if (evaluation.decision === 'step_up') {
      if (row.isAccountTakeover) {
        this.velocity.record('failedStepUp', row.userId, row.ip, now);
        if (profile) next = scorer.recordFailure(profile, now, origin);
      } else {
        next = scorer.learn(profile, features, now, 'trusted', learning);
        learned = true;
      }
    } else if (evaluation.teaches) {
      next = scorer.learn(profile, features, now, 'observed', learning);
      learned = true;
    }
    if (unknownAccount) return;
    if (learned && next) {
      this.global.add(keys, scorer.newlyTrusted(profile, next, keys), (profile?.trustedEvents ?? 0) === 0);
    }
    this.profiles.touch(row.userId, now, next);
  }

  /** Distinct users, or undefined when there were too many to count cheaply. */
  get distinctUsers(): number | undefined {
    return this.countUsers ? this.usersSeen.size : undefined;
  }

  summary() {
    return summarize(this.metrics);
  }
}
