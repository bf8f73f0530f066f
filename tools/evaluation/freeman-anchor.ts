import type { RequestFeatures } from '../../lambdas/core/risk/types';
import { contextKeys } from '../../lambdas/core/risk/context-keys';
import { EvaluationMetrics, LEGIT, type Segment } from './evaluation-metrics';
import { summarize, type Deps, type ReplayEvaluator, type RowResult } from './login-evaluator';
import type { RbaLogin } from './rba-row';
import { HistorySegmenter } from './replay-segments';
import { rowFeatures } from './row-features';

/**
 * The published baseline, Freeman et al., "Who Are You? A Statistical Approach to Measuring User Authenticity"
 * (NDSS 2016), Equation 7 without per-member attack data, as the RBA dataset's authors implemented it for Wiefling
 * et al. (ACM TOPS 2022) with the weights they fitted on the dataset. Every replay report puts the stepgate engine
 * beside it on the same rows.
 *
 * For each feature F (IP address with sub-features ASN and country; user agent with browser, OS and device type)
 * and hierarchy levels l with weights w_l:
 *
 *   p(F | user)   = Σ_l w_l · c_l / N                   c_l: the user's logins with this level's value, N: all of them
 *   p(F | global) = w_0 · s_0 + Σ_{l≥1} w_l · g_l / G   g_l: all logins with the value, G: all logins
 *   s_0 = g_0 / (g_0 + u) · g_0 / (G + U)  when g_0 > 0, else 1 / (G + U)
 *
 * with the notebook's smoothing of the finest level only: u counts the values below one exact value (3 for an
 * address: itself, its ASN, its country; 4 for a user agent) and U the distinct values of the sub-features in the
 * whole history plus one. A context the user never had at any level gets p(F | user) = p(F | global) / 4 (the
 * notebook's edge case: smoothing both sides would make a stranger look harmless). Then
 *
 *   risk = Π_F p(F | global) / p(F | user) · (1 / users) / (N / G)
 *
 * the last factor being the prior that every account is attacked alike while busy accounts log in more often.
 * As in the notebook, history is every successful login, whoever made it (the model has no step-up to stop one).
 */

export const FREEMAN_WEIGHTS = {
  ip: [0.6, 0.3, 0.1],
  ua: [0.5386653840551359, 0.2680451498625666, 0.18818295100109536, 0.0051065150812021525],
} as const;

/** The seven values Freeman looks at: address, ASN, country; user agent, browser, OS, device type. */
export type FreemanContext = readonly [string, string, string, string, string, string, string];

const IP_LEVELS = 3;
const LEVELS = 7;
/** Values kept per level of one user (rarest dropped first). */
const USER_VALUES = 64;

interface UserHistory {
  n: number;
  counts: Map<string, number>[];
}

function bounded(map: Map<string, number>, limit: number): void {
  if (map.size <= limit) return;
  let victim: string | undefined;
  let least = Infinity;
  for (const [k, v] of map) {
    if (v < least) {
      least = v;
      victim = k;
    }
  }
  if (victim !== undefined) map.delete(victim);
}

/** The Freeman model's state: per-user and global counts of successful logins. */
export class FreemanModel {
  private readonly users = new Map<string, UserHistory>();
  private readonly global: Map<string, number>[] = Array.from({ length: LEVELS }, () => new Map<string, number>());
  total = 0;

  constructor(
    private readonly maxUsers = 250_000,
    private readonly maxGlobalKeys = 1_000_000,
  ) {}

  private distinct(level: number): number {
    return this.global[level]?.size ?? 0;
  }

  private featureRatio(ctx: FreemanContext, user: UserHistory, from: number, weights: readonly number[]): number {
    const G = this.total;
    // Distinct values below the finest level, in the whole history, plus one.
    let U = 1;
    for (let l = 1; l < weights.length; l++) U += this.distinct(from + l);
    let globalP = 0;
    let userP = 0;
    for (let l = 0; l < weights.length; l++) {
      const w = weights[l] ?? 0;
      const value = ctx[from + l] ?? '';
      const g = this.global[from + l]?.get(value) ?? 0;
      if (l === 0) {
        const u = weights.length;
        globalP += w * (g > 0 ? (g / (g + u)) * (g / (G + U)) : 1 / (G + U));
      } else if (G > 0) {
        globalP += (w * g) / G;
      }
      userP += (w * (user.counts[from + l]?.get(value) ?? 0)) / Math.max(1, user.n);
    }
    if (userP === 0) userP = globalP / 4;
    return userP > 0 ? globalP / userP : 1;
  }

  /** Freeman's risk for a login of `userId` in `ctx`, or undefined when the user has no history yet. */
  risk(userId: string, ctx: FreemanContext): number | undefined {
    const user = this.users.get(userId);
    if (!user || user.n === 0 || this.total === 0) return undefined;
    const ratio =
      this.featureRatio(ctx, user, 0, FREEMAN_WEIGHTS.ip) * this.featureRatio(ctx, user, IP_LEVELS, FREEMAN_WEIGHTS.ua);
    return (ratio * (1 / Math.max(1, this.users.size))) / (user.n / this.total);
  }

  learn(userId: string, ctx: FreemanContext): void {
    let user = this.users.get(userId);
    if (user) this.users.delete(userId);
    else user = { n: 0, counts: Array.from({ length: LEVELS }, () => new Map<string, number>()) };
    this.users.set(userId, user);
    if (this.users.size > this.maxUsers) this.users.delete(this.users.keys().next().value as string);
    user.n++;
    this.total++;
    for (let l = 0; l < LEVELS; l++) {
      const value = ctx[l] ?? '';
      const mine = user.counts[l]!;
      mine.set(value, (mine.get(value) ?? 0) + 1);
      bounded(mine, USER_VALUES);
      const all = this.global[l]!;
      all.set(value, (all.get(value) ?? 0) + 1);
      // Bounded like the engine's population counts: a value seen once among millions carries almost no weight.
      if (all.size > this.maxGlobalKeys) {
        for (let floor = 1; all.size > this.maxGlobalKeys * 0.75; floor *= 2) {
          for (const [k, v] of all) if (v <= floor) all.delete(k);
        }
      }
    }
  }
}

/**
 * The seven values of a row. The dataset's derived columns (browser, OS and device type as the dataset's authors
 * parsed them) are used when present, as the notebook reads them; the network is the ASN, or the address prefix
 * when a row has none.
 */
export function freemanContext(row: RbaLogin, features: RequestFeatures): FreemanContext {
  const keys = contextKeys(features);
  return [
    keys.ip,
    row.asn ?? keys.asn ?? keys.prefix ?? '-',
    row.country ?? keys.country ?? '-',
    row.userAgent,
    row.browser ?? keys.browser ?? '-',
    row.os ?? keys.os ?? '-',
    row.deviceType ?? keys.deviceType,
  ];
}

/**
 * Ranking score of a Freeman risk: 10 · log10(risk) + 100, so a factor of ten is 10 points. The model has no
 * thresholds, so it only ranks; a user without history gets the score of risk 1.
 */
export function freemanRank(risk: number | undefined): number {
  return risk === undefined || !(risk > 0) ? 100 : 100 + 10 * Math.log10(risk);
}

export interface FreemanEvaluatorOptions {
  warmupDays: number;
  unknownUserId?: string;
  retentionDays: number;
  maxUsers: number;
  maxGlobalKeys?: number;
  labelOf?: (index: number) => string | undefined;
}

/** Replays rows through the Freeman model with the same segments and metrics as the engine's replay. */
export class FreemanEvaluator implements ReplayEvaluator {
  readonly metrics = new EvaluationMetrics();
  readonly model: FreemanModel;
  readonly segmentRows: Record<Segment, number> = {
    'with-history': 0,
    'first-login': 0,
    'warm-up': 0,
    'unknown-account': 0,
  };
  readonly asnSource = { csv: 0, lookup: 0, none: 0 };
  rows = 0;
  private readonly segmenter: HistorySegmenter;
  private last = -Infinity;

  constructor(
    private readonly deps: Pick<Deps, 'locator' | 'devices'>,
    private readonly options: FreemanEvaluatorOptions,
  ) {
    this.model = new FreemanModel(options.maxUsers, options.maxGlobalKeys);
    this.segmenter = new HistorySegmenter(options);
  }

  process(row: RbaLogin, known?: RequestFeatures, knownLabel?: string): RowResult {
    const now = Math.max(row.timestamp, this.last);
    this.last = now;
    this.rows++;
    const features = known ?? rowFeatures(row, this.deps.locator, this.deps.devices);
    this.asnSource[row.asn !== undefined ? 'csv' : features.geo.asn !== undefined ? 'lookup' : 'none']++;
    const ctx = freemanContext(row, features);
    const unknownAccount = row.userId === this.options.unknownUserId;
    const rank = freemanRank(unknownAccount ? undefined : this.model.risk(row.userId, ctx));
    // ---- Nothing above this line reads the row's outcome columns. ----
    const { segment, bucket } = this.segmenter.classify(row, now);
    this.segmentRows[segment]++;
    const label = knownLabel ?? this.options.labelOf?.(row.index) ?? (row.isAccountTakeover ? 'ato' : LEGIT);
    if (label !== LEGIT || row.loginSuccessful) this.metrics.add(segment, bucket, label, rank, 'allow');
    if (row.loginSuccessful && !unknownAccount) this.model.learn(row.userId, ctx);
    this.segmenter.settle(row, now);
    return { index: row.index, decision: 'allow', score: rank, rank, segment, bucket, label };
  }

  summary() {
    return summarize(this.metrics);
  }
}
