/** Small, exact statistics for the benchmark (no sampling, no interpolation surprises). */

/** The p-th percentile (0–100) by nearest rank over the samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export interface SendLimits {
  perSecond: number;
  perMinute: number;
}

/**
 * The shortest time in which `n` messages can go out under a per-second and a
 * per-minute sliding window: message k (0-based) cannot leave before both
 * windows have room, i.e. before max(⌊k/perSecond⌋ s, ⌊k/perMinute⌋ min).
 */
export function rateLimitFloorMs(n: number, limits: SendLimits): number {
  if (n <= 0) return 0;
  const k = n - 1;
  return Math.max(Math.floor(k / limits.perSecond) * 1000, Math.floor(k / limits.perMinute) * 60_000);
}

export const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
