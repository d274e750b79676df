import type { LossCurve, LossPoint, TrainingDevice } from '@shared/training';

const W = 720;
const H = 200;
const PADL = 52;
const PADR = 12;
const PADT = 12;
const PADB = 28;
const TRAIN_COLOUR = '#6aa8ff';
const VAL_COLOUR = '#ffc24d';
const PLAYER_COLOURS = ['#ff7a8a', '#8be28b', '#c59bff'];

/** Axis ticks: a few round values spanning [lo, hi]. */
function ticks(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

/**
 * Training and validation loss by optimizer step, with the best validation marked. A log scale is
 * used when the losses span more than a factor of 20 (early steps would flatten the rest).
 */
export function TrainingCurves({
  curve,
  device,
}: {
  curve?: LossCurve | null;
  device?: TrainingDevice | null;
}) {
  if (!curve && !device) return null;
  return (
    <div data-testid="training-curves">
      {curve ? <LossCurvePlot curve={curve} /> : null}
      {device ? <TrainingDeviceLine device={device} /> : null}
    </div>
  );
}

const PROVIDER_LABEL: Record<string, string> = {
  cuda: 'the GPU (CUDA)',
  dml: 'the GPU (DirectML)',
  coreml: 'CoreML',
  webgpu: 'the GPU (WebGPU)',
  cpu: 'the CPU',
};

/** Where the training step runs, and why each provider before it in the order was not used. */
export function TrainingDeviceLine({ device }: { device: TrainingDevice }) {
  return (
    <div className="muted small training-device" data-testid="training-device">
      <p>
        Training runs on <strong>{PROVIDER_LABEL[device.provider] ?? device.provider}</strong> ({device.provider}
        ), chosen by the provider order of Settings → Inference runtime.
      </p>
      {device.skipped.length ? (
        <ul data-testid="training-device-skipped">
          {device.skipped.map((s) => (
            <li key={s.name}>
              {s.name} not used: {s.reason}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function LossCurvePlot({ curve }: { curve: LossCurve }) {
  const players = Object.entries(curve.players ?? {});
  const all: LossPoint[] = [...curve.train, ...curve.validation, ...players.flatMap(([, pts]) => pts)].filter(
    (p) => p.loss > 0 || p.loss === 0,
  );
  if (all.length === 0) return null;
  const maxStep = Math.max(1, ...all.map((p) => p.step));
  const positive = all.every((p) => p.loss > 0);
  const lo0 = Math.min(...all.map((p) => p.loss));
  const hi0 = Math.max(...all.map((p) => p.loss));
  const log = positive && hi0 / lo0 > 20;
  const f = (v: number) => (log ? Math.log10(v) : v);
  const lo = f(lo0);
  const hi = f(hi0) === lo ? lo + 1 : f(hi0);
  const x = (s: number) => PADL + (s / maxStep) * (W - PADL - PADR);
  const y = (v: number) => H - PADB - ((f(v) - lo) / (hi - lo)) * (H - PADT - PADB);
  const path = (pts: LossPoint[]) =>
    pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ');
  const last = (pts: LossPoint[]) => pts.at(-1);
  return (
    <figure className="cal-hist" data-testid="loss-curve">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Training and validation loss by step">
        {ticks(lo, hi, 3).map((t) => (
          <g key={t}>
            <line
              x1={PADL}
              x2={W - PADR}
              y1={y(log ? 10 ** t : t)}
              y2={y(log ? 10 ** t : t)}
              className="grid-line"
            />
            <text x={PADL - 6} y={y(log ? 10 ** t : t) + 4} textAnchor="end" className="axis-label">
              {fmt(log ? 10 ** t : t)}
            </text>
          </g>
        ))}
        <line x1={PADL} x2={W - PADR} y1={H - PADB} y2={H - PADB} className="axis-line" />
        {ticks(0, maxStep, 4).map((s) => (
          <text key={s} x={x(s)} y={H - 8} textAnchor="middle" className="axis-label">
            {Math.round(s)}
          </text>
        ))}
        {curve.train.length > 1 ? (
          <path d={path(curve.train)} fill="none" stroke={TRAIN_COLOUR} strokeWidth={1.5} />
        ) : null}
        {players.map(([name, pts], i) =>
          pts.length > 1 ? (
            <path
              key={name}
              d={path(pts)}
              fill="none"
              stroke={PLAYER_COLOURS[i % PLAYER_COLOURS.length]}
              strokeWidth={1.5}
              data-testid={`loss-curve-${name}`}
            />
          ) : null,
        )}
        {curve.validation.length > 1 ? (
          <path d={path(curve.validation)} fill="none" stroke={VAL_COLOUR} strokeWidth={2} />
        ) : null}
        {curve.validation.map((p) => (
          <circle key={p.step} cx={x(p.step)} cy={y(p.loss)} r={3} fill={VAL_COLOUR}>
            <title>{`step ${p.step}: validation ${fmt(p.loss)}`}</title>
          </circle>
        ))}
        {curve.best ? (
          <circle
            cx={x(curve.best.step)}
            cy={y(curve.best.loss)}
            r={6}
            fill="none"
            stroke={VAL_COLOUR}
            strokeWidth={2}
            data-testid="loss-curve-best"
          >
            <title>{`best: step ${curve.best.step}, validation ${fmt(curve.best.loss)}`}</title>
          </circle>
        ) : null}
      </svg>
      <figcaption className="legend-list">
        <span className="cal-legend">
          <span className="cal-swatch" style={{ background: TRAIN_COLOUR }} />
          {curve.labels?.train ?? 'training loss'}
          {last(curve.train) ? ` (${fmt(last(curve.train)!.loss)})` : ''}
        </span>
        {players.map(([name, pts], i) => (
          <span key={name} className="cal-legend">
            <span className="cal-swatch" style={{ background: PLAYER_COLOURS[i % PLAYER_COLOURS.length] }} />
            {name} loss{last(pts) ? ` (${fmt(last(pts)!.loss)})` : ''}
          </span>
        ))}
        {curve.validation.length ? (
          <span className="cal-legend">
            <span className="cal-swatch" style={{ background: VAL_COLOUR }} />
            {curve.labels?.validation ?? 'validation loss (held-out good)'}
            {curve.best ? `, best ${fmt(curve.best.loss)} at step ${curve.best.step}` : ''}
          </span>
        ) : null}
        {log ? <span className="muted small">log scale</span> : null}
      </figcaption>
    </figure>
  );
}
