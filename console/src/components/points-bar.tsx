import type { Reason } from '../types';

const COLORS = ['#c0392b', '#d35400', '#8e44ad', '#2c3e50', '#16a085', '#7f8c8d', '#2980b9', '#b7950b'];

/**
 * A decision's reasons as one bar: each positive contribution a segment as wide as its points, the segments side by
 * side adding up to the score before clamping; negative contributions (an allow-listed address) listed under it.
 */
export function PointsBar({ reasons, score }: { reasons: readonly Reason[]; score: number }) {
  const positive = reasons.filter((r) => r.points > 0);
  const negative = reasons.filter((r) => r.points <= 0);
  const sum = reasons.reduce((s, r) => s + r.points, 0);
  const scale = Math.max(
    100,
    positive.reduce((s, r) => s + r.points, 0),
  );
  return (
    <div class="points" data-testid="points-bar">
      <div class="bar">
        {positive.map((r, i) => (
          <span
            key={r.code}
            class="segment"
            data-testid={`segment-${r.code}`}
            data-points={r.points}
            title={`${r.code}: +${r.points}`}
            style={{ width: `${(100 * r.points) / scale}%`, background: COLORS[i % COLORS.length] }}
          >
            {r.points}
          </span>
        ))}
      </div>
      <ul class="reasons">
        {[...positive, ...negative].map((r) => (
          <li key={r.code}>
            <code>{r.code}</code> <b>{r.points > 0 ? `+${r.points}` : r.points}</b>
            {r.detail ? <span class="muted"> — {r.detail}</span> : null}
          </li>
        ))}
      </ul>
      <p class="muted" data-testid="points-sum">
        points add up to {sum}; score {score} (clamped to 0–100)
      </p>
    </div>
  );
}
