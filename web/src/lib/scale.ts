/** Chart scales for the small SVG charts we own (no chart library). Pure, unit-tested. */

export interface LinearScale {
  (value: number): number;
  domain: readonly [number, number];
  range: readonly [number, number];
}

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps everything to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const scale = ((value: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0))) as LinearScale;
  scale.domain = domain;
  scale.range = range;
  return scale;
}

/**
 * Where bucket i of n sits on the x axis: bucket centers spread evenly over the range (a band scale), so one bucket
 * is drawn in the middle and bars never spill over the edges.
 */
export function bandCenter(index: number, count: number, range: readonly [number, number]): number {
  const [r0, r1] = range;
  if (count <= 0) return (r0 + r1) / 2;
  const step = (r1 - r0) / count;
  return r0 + step * (index + 0.5);
}

export function bandWidth(count: number, range: readonly [number, number], fill = 0.7): number {
  if (count <= 0) return 0;
  return (Math.abs(range[1] - range[0]) / count) * fill;
}

/**
 * "Nice" ticks from 0 to at least max (1, 2 or 5 times a power of ten per step), for count axes (deny events).
 * Always at least [0, 1] so an all-zero series still has an axis.
 */
export function niceTicks(max: number, approxCount = 4): number[] {
  const top = Math.max(1, Number.isFinite(max) ? max : 1);
  const rough = top / Math.max(1, approxCount);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const wholeStep = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let t = 0; t < top + wholeStep; t += wholeStep) {
    ticks.push(t);
    if (t >= top) break;
  }
  return ticks;
}

/** Ticks for a ratio axis: 0, 25, 50, 75, 100%. */
export const RATIO_TICKS: readonly number[] = [0, 0.25, 0.5, 0.75, 1];

/** Which of n buckets get an axis label: about `labels` of them, evenly, always the last. */
export function labelIndexes(count: number, labels = 6): number[] {
  if (count <= 0) return [];
  const every = Math.max(1, Math.ceil(count / labels));
  const out: number[] = [];
  for (let i = count - 1; i >= 0; i -= every) out.unshift(i);
  return out;
}

/**
 * An SVG path through the points, breaking the line where a value is null (a bucket without deployments has no
 * ratio: drawing 0 there would be a made-up value).
 */
export function linePath(points: readonly ({ x: number; y: number } | null)[]): string {
  let d = "";
  let pen = false;
  for (const p of points) {
    if (p === null) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${round(p.x)},${round(p.y)}`;
    pen = true;
  }
  return d;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
