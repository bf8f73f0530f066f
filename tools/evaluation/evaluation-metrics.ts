import type { Decision } from '../../lambdas/core/risk/types';
import { auc, blockRateAtFriction, rocCurve, ScoreHistogram, type OperatingPoint } from './roc';

/**
 * Which population a row belongs to. Every engine decides the first logins of a user, and everything in the first
 * days of a replay, by policy alone (there is no history yet), so those rows are reported apart from the headline.
 */
export type Segment = 'with-history' | 'first-login' | 'warm-up' | 'unknown-account';
export const SEGMENTS: readonly Segment[] = ['with-history', 'first-login', 'warm-up', 'unknown-account'];

/** Prior trusted logins of the user. */
export type HistoryBucket = '0' | '1-4' | '5-19' | '20+';
export const HISTORY_BUCKETS: readonly HistoryBucket[] = ['0', '1-4', '5-19', '20+'];

export function historyBucket(trustedLogins: number): HistoryBucket {
  if (trustedLogins <= 0) return '0';
  if (trustedLogins < 5) return '1-4';
  if (trustedLogins < 20) return '5-19';
  return '20+';
}

/** Label of legitimate logins; anything else is an attacker model ("ato" for the dataset's takeover rows). */
export const LEGIT = 'legit';

export const FRICTION_BUDGETS = [0.01, 0.02, 0.05] as const;

class Cell {
  readonly scores = new ScoreHistogram();
  challenged = 0;
  denied = 0;

  add(score: number, decision: Decision): void {
    this.scores.add(score);
    if (decision === 'step_up') this.challenged++;
    else if (decision === 'deny') this.denied++;
  }

  merge(other: Cell): void {
    this.scores.merge(other.scores);
    this.challenged += other.challenged;
    this.denied += other.denied;
  }
}

export interface ModelSummary {
  model: string;
  rows: number;
  /** The evaluated policy's own decisions: share stepped up or denied. */
  policyBlockRate: number;
  policyDenyRate: number;
  auc: number | null;
  /** Block rate at each fixed legit friction budget (thresholds chosen on this population's legit logins). */
  atFriction: OperatingPoint[];
}

export interface PopulationSummary {
  /** Legitimate successful logins. */
  legitLogins: number;
  /** The positive ranking score most legitimate logins share, and their share: how much the scores clump. */
  legitLargestTie: { score: number; share: number };
  /** The evaluated policy's own legit friction: step-up or deny on legitimate successful logins. */
  legitFriction: number;
  legitDenyRate: number;
  models: ModelSummary[];
}

function fixed(x: number, digits = 4): number {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : x;
}

/**
 * Accumulates ranking scores and decisions per (segment, history bucket, label) in constant memory and summarises
 * them as friction, block rates, ROC operating points and AUC. The ranking score is the engine's unrounded score
 * (see roc.ts); the decisions are the evaluated policy's own.
 */
export class EvaluationMetrics {
  private readonly cells = new Map<string, Cell>();
  private readonly labels = new Set<string>();

  add(segment: Segment, bucket: HistoryBucket, label: string, score: number, decision: Decision): void {
    const key = `${segment}\t${bucket}\t${label}`;
    let cell = this.cells.get(key);
    if (!cell) this.cells.set(key, (cell = new Cell()));
    cell.add(score, decision);
    this.labels.add(label);
  }

  private collect(segments: readonly Segment[], buckets: readonly HistoryBucket[], label: string): Cell {
    const out = new Cell();
    for (const s of segments)
      for (const b of buckets) {
        const cell = this.cells.get(`${s}\t${b}\t${label}`);
        if (cell) out.merge(cell);
      }
    return out;
  }

  get attackModels(): string[] {
    return [...this.labels].filter((l) => l !== LEGIT).sort();
  }

  summarize(segments: readonly Segment[], buckets: readonly HistoryBucket[] = HISTORY_BUCKETS): PopulationSummary {
    const legit = this.collect(segments, buckets, LEGIT);
    const models = this.attackModels.map((model): ModelSummary => {
      const attack = this.collect(segments, buckets, model);
      const rows = attack.scores.total;
      const area = auc(legit.scores, attack.scores);
      return {
        model,
        rows,
        policyBlockRate: fixed(rows === 0 ? 0 : (attack.challenged + attack.denied) / rows),
        policyDenyRate: fixed(rows === 0 ? 0 : attack.denied / rows),
        auc: Number.isNaN(area) ? null : fixed(area),
        atFriction: FRICTION_BUDGETS.map((budget) => {
          const p = blockRateAtFriction(legit.scores, attack.scores, budget);
          return { ...p, friction: fixed(p.friction), blockRate: fixed(p.blockRate) };
        }),
      };
    });
    const n = legit.scores.total;
    const tie = legit.scores.largestTie();
    return {
      legitLogins: n,
      legitLargestTie: { score: tie.score, share: fixed(tie.share) },
      legitFriction: fixed(n === 0 ? 0 : (legit.challenged + legit.denied) / n),
      legitDenyRate: fixed(n === 0 ? 0 : legit.denied / n),
      models,
    };
  }

  /** ROC points per attacker model, [fpr, tpr, threshold], thinned, for the report's curve. */
  roc(segments: readonly Segment[]): Record<string, [number, number, number][]> {
    const legit = this.collect(segments, HISTORY_BUCKETS, LEGIT);
    const out: Record<string, [number, number, number][]> = {};
    for (const model of this.attackModels) {
      const attack = this.collect(segments, HISTORY_BUCKETS, model);
      if (attack.scores.total === 0) continue;
      out[model] = rocCurve(legit.scores, attack.scores).map((p) => [fixed(p.fpr, 5), fixed(p.tpr, 5), p.threshold]);
    }
    return out;
  }

  rowsIn(segment: Segment): number {
    let n = 0;
    for (const [key, cell] of this.cells) if (key.startsWith(`${segment}\t`)) n += cell.scores.total;
    return n;
  }
}
