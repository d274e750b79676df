import type { Thresholds } from '@shared/station';

/**
 * The score on a scale with its PASS / REVIEW / FAIL zones and T1, T2 marked: the operator sees
 * not only the verdict but how close the part came to the next one. SVG attributes only (CSP).
 */
export function ScoreBar({ score, thresholds }: { score: number | null; thresholds: Thresholds | null }) {
  const t1 = thresholds?.t1 ?? 1;
  const t2 = thresholds?.t2 ?? 1.5;
  // A fixed scale around the thresholds: a wild FAIL score pins the pointer at the right end
  // (marked) instead of squeezing T1 and T2 together.
  const lo = Math.min(0, t1 - (t2 - t1) - 0.1);
  const hi = t2 + Math.max(t2 - lo, 0.5) * 0.8;
  const beyond = score !== null && score > hi;
  const W = 440;
  const x = (v: number) => 10 + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (W - 20);
  const sx = score === null ? null : x(score);
  return (
    <svg className="score-bar" viewBox={`0 0 ${W} 64`} role="img" aria-label={scoreLabel(score, thresholds)}>
      <rect x={x(lo)} y={22} width={x(t1) - x(lo)} height={16} className="zone-pass" rx={3} />
      <rect x={x(t1)} y={22} width={x(t2) - x(t1)} height={16} className="zone-review" />
      <rect x={x(t2)} y={22} width={x(hi) - x(t2)} height={16} className="zone-fail" rx={3} />
      {thresholds ? (
        <>
          <line x1={x(t1)} x2={x(t1)} y1={16} y2={44} className="thr-line" />
          <line x1={x(t2)} x2={x(t2)} y1={16} y2={44} className="thr-line" />
          <text x={x(t1) - 4} y={58} textAnchor="end" className="thr-label">
            T1 {t1.toFixed(2)}
          </text>
          <text x={x(t2) + 4} y={58} textAnchor="start" className="thr-label">
            T2 {t2.toFixed(2)}
          </text>
        </>
      ) : null}
      {sx !== null ? (
        <g data-testid="score-marker">
          <polygon points={`${sx - 7},4 ${sx + 7},4 ${sx},16`} className="score-pointer" />
          <line x1={sx} x2={sx} y1={14} y2={42} className="score-line" />
          {beyond ? (
            <text x={sx - 10} y={12} textAnchor="end" className="thr-label">
              off scale ▶
            </text>
          ) : null}
        </g>
      ) : null}
    </svg>
  );
}

function scoreLabel(score: number | null, t: Thresholds | null): string {
  if (score === null) return 'No score yet';
  return `Score ${score.toFixed(3)}${t ? `, T1 ${t.t1}, T2 ${t.t2}` : ''}`;
}
