import { auc, blockRateAtFriction, RANK_GRID, rocCurve, ScoreHistogram } from '../../../tools/evaluation/roc';

const INTEGERS = { min: 0, max: 100, step: 1 };

function hist(scores: number[], grid = INTEGERS): ScoreHistogram {
  const h = new ScoreHistogram(grid);
  for (const s of scores) h.add(s);
  return h;
}

describe('ROC over a grid of scores', () => {
  it('AUC is 1 for perfect separation, 0.5 for identical populations, 0 when reversed', () => {
    expect(auc(hist([0, 10, 20]), hist([30, 40]))).toBe(1);
    expect(auc(hist([10, 20, 30]), hist([10, 20, 30]))).toBe(0.5);
    expect(auc(hist([50, 60]), hist([1, 2]))).toBe(0);
  });

  it('AUC counts ties one half (Mann-Whitney U on a hand-checked example)', () => {
    // Pairs (attack, legit): 20>10 1, 20=20 0.5, 20<30 0; 30>10 1, 30>20 1, 30=30 0.5 → 4 / 6.
    expect(auc(hist([10, 20, 30]), hist([20, 30]))).toBeCloseTo(4 / 6, 12);
  });

  it('AUC is undefined (NaN) without one of the populations', () => {
    expect(auc(hist([]), hist([1]))).toBeNaN();
  });

  it('finds the best block rate whose friction stays within the budget, without interpolation', () => {
    const legit = hist([...Array(98).fill(0), 40, 60]); // 1 % at ≥ 60, 2 % at ≥ 40
    const attack = hist([30, 50, 70, 90]);
    expect(blockRateAtFriction(legit, attack, 0.01)).toEqual({
      maxFriction: 0.01,
      threshold: 41,
      friction: 0.01,
      blockRate: 0.75,
    });
    expect(blockRateAtFriction(legit, attack, 0.02)).toEqual({
      maxFriction: 0.02,
      threshold: 1,
      friction: 0.02,
      blockRate: 1,
    });
    expect(blockRateAtFriction(legit, attack, 0.005)).toEqual({
      maxFriction: 0.005,
      threshold: 61,
      friction: 0,
      blockRate: 0.5,
    });
  });

  it('runs the curve from nothing blocked to everything challenged, monotone in both rates', () => {
    const curve = rocCurve(hist([0, 5, 30]), hist([20, 80]));
    expect(curve[0]).toEqual({ threshold: 101, fpr: 0, tpr: 0 });
    expect(curve[curve.length - 1]).toEqual({ threshold: 0, fpr: 1, tpr: 1 });
    for (let i = 1; i < curve.length; i++) {
      expect(curve[i]!.fpr).toBeGreaterThanOrEqual(curve[i - 1]!.fpr);
      expect(curve[i]!.tpr).toBeGreaterThanOrEqual(curve[i - 1]!.tpr);
    }
  });

  it('clamps and rounds scores into the grid', () => {
    const h = hist([-5, 100.4, 250, 49.5]);
    expect(h.bins[0]).toBe(1);
    expect(h.bins[100]).toBe(2);
    expect(h.bins[50]).toBe(1);
  });

  it('keeps unrounded scores apart on the ranking grid where integer scores would tie', () => {
    // Legit logins at 40.2 and attacks at 40.4: one integer bin, two ranking bins.
    const legit = hist([...Array(95).fill(0), ...Array(5).fill(40.2)], RANK_GRID);
    const attack = hist([40.4, 40.4, 40.4, 10], RANK_GRID);
    expect(blockRateAtFriction(legit, attack, 0.01).blockRate).toBe(0.75);
    // Familiar logins at 0 are no clump; the largest tie above zero holds 5 %.
    expect(legit.largestTie()).toEqual({ score: 40.2, share: 0.05 });
    const coarse = blockRateAtFriction(
      hist([...Array(95).fill(0), ...Array(5).fill(40.2)]),
      hist([40.4, 40.4, 40.4, 10]),
      0.01,
    );
    expect(coarse.blockRate).toBe(0);
  });
});
