/**
 * ROC analysis over ranking scores. Scores are counted in a fixed grid of bins per population, so the analysis of
 * 31 M rows needs a few thousand numbers per group. A threshold t means "step up at score ≥ t", the policy's own
 * semantics; two scores in one bin are a tie, and a tie is blocked or passed as a whole (never split), so ties at
 * the threshold never count as blocked unless the legitimate logins they tie with are counted as friction too.
 *
 * The engine ranks by its unrounded score (`Evaluation.rawScore`), which the 0.05-point grid keeps apart where
 * the reported integer score would clump; the Freeman anchor ranks by its log-likelihood ratio mapped onto the
 * same grid.
 */

export interface ScoreGrid {
  /** Lowest score kept apart; lower scores count in the first bin. */
  readonly min: number;
  /** Highest score kept apart; higher scores count in the last bin. */
  readonly max: number;
  readonly step: number;
}

/** The grid of ranking scores: unclamped engine scores from -100 to 300 in 0.05 steps. */
export const RANK_GRID: ScoreGrid = { min: -100, max: 300, step: 0.05 };

export class ScoreHistogram {
  readonly bins: Float64Array;
  total = 0;

  constructor(readonly grid: ScoreGrid = RANK_GRID) {
    this.bins = new Float64Array(Math.round((grid.max - grid.min) / grid.step) + 1);
  }

  binOf(score: number): number {
    const { min, max, step } = this.grid;
    const s = Number.isNaN(score) ? min : Math.min(max, Math.max(min, score));
    return Math.round((s - min) / step);
  }

  /** The score a bin stands for. */
  scoreOf(bin: number): number {
    return Number((this.grid.min + bin * this.grid.step).toFixed(6));
  }

  add(score: number): void {
    const b = this.binOf(score);
    this.bins[b] = (this.bins[b] ?? 0) + 1;
    this.total++;
  }

  merge(other: ScoreHistogram): void {
    if (other.bins.length !== this.bins.length) throw new Error('merging histograms of different grids');
    for (let i = 0; i < this.bins.length; i++) this.bins[i] = (this.bins[i] ?? 0) + (other.bins[i] ?? 0);
    this.total += other.total;
  }

  /** Fraction of scores in bins ≥ `bin` (past the last bin → 0). */
  atOrAboveBin(bin: number): number {
    if (this.total === 0) return 0;
    let n = 0;
    for (let i = Math.max(0, bin); i < this.bins.length; i++) n += this.bins[i] ?? 0;
    return n / this.total;
  }

  /** Fraction of scores ≥ t (in t's bin or above). */
  atOrAbove(t: number): number {
    return this.atOrAboveBin(t > this.grid.max ? this.bins.length : this.binOf(t));
  }

  /**
   * The fullest bin above zero and its share of all scores: how much scores clump where a threshold could sit (a
   * familiar context scores exactly 0, and no policy steps up at 0 but `critical`).
   */
  largestTie(): { score: number; share: number } {
    let best = -1;
    for (let i = this.binOf(0) + 1; i < this.bins.length; i++) {
      if (best < 0 || (this.bins[i] ?? 0) > (this.bins[best] ?? 0)) best = i;
    }
    if (best < 0) return { score: 0, share: 0 };
    return { score: this.scoreOf(best), share: this.total === 0 ? 0 : (this.bins[best] ?? 0) / this.total };
  }
}

/** Cumulative counts from the top bin down: out[b] = scores in bins ≥ b, as fractions. */
function tail(h: ScoreHistogram): Float64Array {
  const out = new Float64Array(h.bins.length + 1);
  let n = 0;
  for (let i = h.bins.length - 1; i >= 0; i--) {
    n += h.bins[i] ?? 0;
    out[i] = h.total === 0 ? 0 : n / h.total;
  }
  return out;
}

export interface RocPoint {
  /** Step up at score ≥ threshold. */
  threshold: number;
  /** Legit friction (false positive rate). */
  fpr: number;
  /** Attacks blocked (true positive rate). */
  tpr: number;
}

/**
 * The curve from the strictest threshold (nothing blocked) to the loosest (everything challenged), one point per
 * threshold where either rate changes, thinned to steps of at least `resolution` in either rate.
 */
export function rocCurve(legit: ScoreHistogram, attack: ScoreHistogram, resolution = 0.002): RocPoint[] {
  const l = tail(legit);
  const a = tail(attack);
  const top = legit.bins.length;
  const points: RocPoint[] = [{ threshold: legit.scoreOf(top), fpr: 0, tpr: 0 }];
  let last = points[0]!;
  for (let b = top - 1; b >= 0; b--) {
    const p = { threshold: legit.scoreOf(b), fpr: l[b] ?? 0, tpr: a[b] ?? 0 };
    if (p.fpr - last.fpr >= resolution || p.tpr - last.tpr >= resolution || b === 0) {
      points.push(p);
      last = p;
    }
  }
  return points;
}

/**
 * Area under the ROC curve: the probability that a random attack scores above a random legit login, ties counting
 * one half (Mann-Whitney U). NaN when either population is empty.
 */
export function auc(legit: ScoreHistogram, attack: ScoreHistogram): number {
  if (legit.total === 0 || attack.total === 0) return NaN;
  let legitBelow = 0;
  let u = 0;
  for (let s = 0; s < legit.bins.length; s++) {
    const a = attack.bins[s] ?? 0;
    const l = legit.bins[s] ?? 0;
    u += a * (legitBelow + l / 2);
    legitBelow += l;
  }
  return u / (attack.total * legit.total);
}

export interface OperatingPoint {
  /** The friction budget asked for. */
  maxFriction: number;
  /** The lowest threshold whose legit friction stays within the budget. */
  threshold: number;
  friction: number;
  blockRate: number;
}

/**
 * Best block rate whose legit friction does not exceed `maxFriction`. No interpolation between thresholds (which
 * would mean challenging a random share of the logins at one score): the figure is one a policy can really set.
 */
export function blockRateAtFriction(
  legit: ScoreHistogram,
  attack: ScoreHistogram,
  maxFriction: number,
): OperatingPoint {
  const top = legit.bins.length;
  let best: OperatingPoint = { maxFriction, threshold: legit.scoreOf(top), friction: 0, blockRate: 0 };
  let legitAbove = 0;
  let attackAbove = 0;
  for (let b = top - 1; b >= 0; b--) {
    legitAbove += legit.bins[b] ?? 0;
    attackAbove += attack.bins[b] ?? 0;
    const friction = legit.total === 0 ? 0 : legitAbove / legit.total;
    if (friction > maxFriction + 1e-12) break;
    best = {
      maxFriction,
      threshold: legit.scoreOf(b),
      friction,
      blockRate: attack.total === 0 ? 0 : attackAbove / attack.total,
    };
  }
  return best;
}
