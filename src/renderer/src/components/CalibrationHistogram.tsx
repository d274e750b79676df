import type { CalibrationReport } from '@shared/training';

const W = 720;
const H = 220;
const PADL = 36;
const PADR = 12;
const PADT = 12;
const PADB = 28;

/**
 * Score distribution of the calibration images: held-out good parts against synthetic and real
 * defects, drawn side by side in each bin, with the PASS / REVIEW / FAIL zones of T1 and T2.
 */
export function CalibrationHistogram({
  report,
  t1,
  t2,
}: {
  report: CalibrationReport;
  t1: number;
  t2: number;
}) {
  const { edges, good, synthetic, defect } = report.histogram;
  const lo = edges[0];
  const hi = edges[edges.length - 1];
  const x = (v: number) => PADL + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (W - PADL - PADR);
  const max = Math.max(1, ...good, ...synthetic, ...defect);
  const y = (n: number) => H - PADB - (n / max) * (H - PADT - PADB);
  const series = [
    { key: 'good', counts: good, cls: 'cal-good', label: 'held-out good' },
    { key: 'synthetic', counts: synthetic, cls: 'cal-synthetic', label: 'synthetic defects' },
    { key: 'defect', counts: defect, cls: 'cal-defect', label: 'real defects' },
  ].filter((s) => s.counts.some((c) => c > 0));
  const ticks = 6;
  return (
    <figure className="cal-hist">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        data-testid="calibration-histogram"
        role="img"
        aria-label="Calibration score histogram"
      >
        <rect
          x={PADL}
          y={PADT}
          width={Math.max(0, x(t1) - PADL)}
          height={H - PADT - PADB}
          className="hz-pass"
        />
        <rect
          x={x(t1)}
          y={PADT}
          width={Math.max(0, x(t2) - x(t1))}
          height={H - PADT - PADB}
          className="hz-review"
        />
        <rect
          x={x(t2)}
          y={PADT}
          width={Math.max(0, W - PADR - x(t2))}
          height={H - PADT - PADB}
          className="hz-fail"
        />
        {[0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PADL} x2={W - PADR} y1={y(max * f)} y2={y(max * f)} className="grid-line" />
            <text x={PADL - 6} y={y(max * f) + 4} textAnchor="end" className="axis-label">
              {Math.round(max * f)}
            </text>
          </g>
        ))}
        {good.map((_, i) => {
          const bx = x(edges[i]);
          const bw = x(edges[i + 1]) - bx;
          const each = Math.max(1, (bw - 2) / Math.max(1, series.length));
          return (
            <g key={i}>
              <title>
                {`${edges[i].toFixed(2)} – ${edges[i + 1].toFixed(2)}: ` +
                  series.map((s) => `${s.counts[i]} ${s.label}`).join(', ')}
              </title>
              {series.map((s, k) =>
                s.counts[i] > 0 ? (
                  <rect
                    key={s.key}
                    x={bx + 1 + k * each}
                    y={y(s.counts[i])}
                    width={each}
                    height={H - PADB - y(s.counts[i])}
                    className={s.cls}
                  />
                ) : null,
              )}
            </g>
          );
        })}
        <line x1={PADL} x2={W - PADR} y1={H - PADB} y2={H - PADB} className="axis-line" />
        {Array.from({ length: ticks + 1 }, (_, i) => lo + ((hi - lo) * i) / ticks).map((v) => (
          <text key={v} x={x(v)} y={H - 8} textAnchor="middle" className="axis-label">
            {v.toFixed(2)}
          </text>
        ))}
        {[
          { v: t1, label: 'T1', cls: 'thr-t1' },
          { v: t2, label: 'T2', cls: 'thr-t2' },
        ].map((t) => (
          <g key={t.label} className={t.cls}>
            <line x1={x(t.v)} x2={x(t.v)} y1={PADT} y2={H - PADB} className="thr-line" />
            <text
              x={x(t.v) + (t.label === 'T1' ? -4 : 4)}
              y={PADT + (t.label === 'T1' ? 12 : 26)}
              textAnchor={t.label === 'T1' ? 'end' : 'start'}
              className="thr-label"
            >
              {t.label} {t.v.toFixed(2)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption className="legend-list">
        {series.map((s) => (
          <span key={s.key} className="cal-legend">
            <span className={`cal-swatch ${s.cls}`} aria-hidden="true" />
            {s.label} ({s.counts.reduce((a, b) => a + b, 0)})
          </span>
        ))}
        <span className="muted small">
          Normalised score: 1.0 = the least normal held-out good part before thresholds.
        </span>
      </figcaption>
    </figure>
  );
}
