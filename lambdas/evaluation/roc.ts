/**
 * ROC analysis over the engine's integer scores (0-100). Scores are counted in a 101-bin histogram per population,
 * so the analysis of 31 M rows needs 101 numbers per group, and every threshold the policy could set is covered.
 * A threshold t means "step up at score ≥ t", the policy's own semantics.
 */

export const MAX_SCORE = 100;

export class ScoreHistogram {
  readonly bins = new Float64Array(MAX_SCORE + 1);
  total = 0;

  add(score: number): void {
    const s = Math.min(MAX_SCORE, Math.max(0, Math.round(score)));
    this.bins[s] = (this.bins[s] ?? 0) + 1;
    this.total++;
  }

  merge(other: ScoreHistogram): void {
    for (let i = 0; i <= MAX_SCORE; i++) this.bins[i] = (this.bins[i] ?? 0) + (other.bins[i] ?? 0);
    this.total += other.total;
  }

  /** Fraction of scores ≥ t (t = MAX_SCORE + 1 → 0). */
  atOrAbove(t: number): number {
    if (this.total === 0) return 0;
    let n = 0;
    for (let i = Math.max(0, t); i <= MAX_SCORE; i++) n += this.bins[i] ?? 0;
    return n / this.total;
  }
}

export interface RocPoint {
  /** Step up at score ≥ threshold. */
  threshold: number;
  /** Legit friction (false positive rate). */
  fpr: number;
  /** Attacks blocked (true positive rate). */
  tpr: number;
}

/** One point per threshold, from the strictest (101: nothing blocked) to 0 (everything challenged). */
export function rocCurve(legit: ScoreHistogram, attack: ScoreHistogram): RocPoint[] {
  const points: RocPoint[] = [];
  for (let t = MAX_SCORE + 1; t >= 0; t--)
    points.push({ threshold: t, fpr: legit.atOrAbove(t), tpr: attack.atOrAbove(t) });
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
  for (let s = 0; s <= MAX_SCORE; s++) {
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
 * would mean challenging a random share of the logins at one score): the figure is one the policy can really set.
 */
export function blockRateAtFriction(
  legit: ScoreHistogram,
  attack: ScoreHistogram,
  maxFriction: number,
): OperatingPoint {
  let best: OperatingPoint = { maxFriction, threshold: MAX_SCORE + 1, friction: 0, blockRate: 0 };
  for (let t = MAX_SCORE; t >= 0; t--) {
    const friction = legit.atOrAbove(t);
    if (friction > maxFriction + 1e-12) break;
    best = { maxFriction, threshold: t, friction, blockRate: attack.atOrAbove(t) };
  }
  return best;
}
