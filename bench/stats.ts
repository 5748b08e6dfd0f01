/**
 * Order statistics of latency samples. Percentiles use the nearest-rank
 * method (no interpolation), so a reported p99 is a latency that was really
 * observed.
 */

/** Nearest-rank percentile (p in 0..100) of `samples`; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: percentile(samples, 100), samples: samples.length };
}

/** Microseconds between two process.hrtime.bigint() readings. */
export function usBetween(start: bigint, end: bigint): number {
  return Number(end - start) / 1000;
}

/** Round for the JSON: 2 significant decimals below 10, 1 below 1000, integers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const digits = abs < 10 ? 2 : abs < 1000 ? 1 : 0;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
