import { formatDay, formatPercent } from "../lib/format";
import { bandCenter, bandWidth, labelIndexes, linePath, linearScale, niceTicks, RATIO_TICKS } from "../lib/scale";

const W = 320;
const H = 150;
const M = { top: 10, right: 8, bottom: 22, left: 38 };
const X: [number, number] = [M.left, W - M.right];
const Y: [number, number] = [H - M.bottom, M.top];

export interface RatioPoint {
  start: string;
  value: number | null;
}

/**
 * One SLI over time: a line through the buckets that have a value (a bucket without deployments is a gap), dots on
 * each, and the SLO target as a dashed line (a floor, or for the deny rate a ceiling).
 */
export function RatioChart({
  name,
  title,
  points,
  target,
  ceiling,
  emptyText = "no deployments in this window",
}: {
  name: string;
  title: string;
  points: RatioPoint[];
  target?: number;
  ceiling?: boolean;
  /** What an all-gaps chart says (the deny rate is not measured per service or environment, for one). */
  emptyText?: string;
}) {
  const y = linearScale([0, 1], Y);
  const xy = points.map((p, i) => (p.value === null ? null : { x: bandCenter(i, points.length, X), y: y(p.value) }));
  const drawn = points.filter((p) => p.value !== null).length;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${title} per day`}
        data-testid={`chart-${name}`}
        data-points={points.length}
        data-values={drawn}
      >
        {RATIO_TICKS.map((t) => (
          <g key={t} className="tick">
            <line x1={X[0]} x2={X[1]} y1={y(t)} y2={y(t)} />
            <text x={X[0] - 4} y={y(t)} dy="0.32em" textAnchor="end">
              {Math.round(t * 100)}%
            </text>
          </g>
        ))}
        <XLabels starts={points.map((p) => p.start)} />
        {target !== undefined && (
          <g className="slo" data-testid={`slo-${name}`} data-target={target.toFixed(3)}>
            <line x1={X[0]} x2={X[1]} y1={y(target)} y2={y(target)} />
            <text x={X[1]} y={y(target) - 3} textAnchor="end">
              SLO {ceiling === true ? "≤" : "≥"} {formatPercent(target)}
            </text>
          </g>
        )}
        <path className="series" d={linePath(xy)} />
        {xy.map((p, i) =>
          p === null ? null : (
            <circle key={i} className="dot" cx={p.x} cy={p.y} r={2.5}>
              <title>
                {formatDay(points[i]!.start)}: {formatPercent(points[i]!.value)}
              </title>
            </circle>
          ),
        )}
        {drawn === 0 && (
          <text className="no-data" x={(X[0] + X[1]) / 2} y={(Y[0] + Y[1]) / 2} textAnchor="middle">
            {emptyText}
          </text>
        )}
      </svg>
    </figure>
  );
}

/** Deny events per bucket as bars (absent buckets: no decision store answered; drawn as nothing, not as 0). */
export function CountChart({ name, title, points }: { name: string; title: string; points: { start: string; value: number | null }[] }) {
  const max = Math.max(0, ...points.map((p) => p.value ?? 0));
  const ticks = niceTicks(max);
  const y = linearScale([0, ticks.at(-1) ?? 1], Y);
  const bw = bandWidth(points.length, X);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} per day`} data-testid={`chart-${name}`} data-points={points.length} data-total={points.reduce((n, p) => n + (p.value ?? 0), 0)}>
        {ticks.map((t) => (
          <g key={t} className="tick">
            <line x1={X[0]} x2={X[1]} y1={y(t)} y2={y(t)} />
            <text x={X[0] - 4} y={y(t)} dy="0.32em" textAnchor="end">
              {t}
            </text>
          </g>
        ))}
        <XLabels starts={points.map((p) => p.start)} />
        {points.map((p, i) =>
          p.value === null || p.value === 0 ? null : (
            <rect key={i} className="bar" x={bandCenter(i, points.length, X) - bw / 2} y={y(p.value)} width={bw} height={Math.max(0, y(0) - y(p.value))}>
              <title>
                {formatDay(p.start)}: {p.value}
              </title>
            </rect>
          ),
        )}
      </svg>
    </figure>
  );
}

function XLabels({ starts }: { starts: string[] }) {
  return (
    <g className="tick x">
      {labelIndexes(starts.length, 5).map((i) => (
        <text key={i} x={bandCenter(i, starts.length, X)} y={H - 6} textAnchor="middle">
          {formatDay(starts[i]!)}
        </text>
      ))}
    </g>
  );
}
