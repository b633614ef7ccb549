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
 * per-minute sliding window, sending each as early as both windows allow:
 * message k leaves no sooner than a second after message k − perSecond and a
 * minute after message k − perMinute.
 */
export function rateLimitFloorMs(n: number, limits: SendLimits): number {
  const at: number[] = [];
  for (let k = 0; k < n; k++) {
    at.push(Math.max(k >= limits.perSecond ? at[k - limits.perSecond]! + 1000 : 0, k >= limits.perMinute ? at[k - limits.perMinute]! + 60_000 : 0));
  }
  return at.at(-1) ?? 0;
}

export const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/** CPU milliseconds per operation; undefined when nothing was done. */
export const perOp = (cpuMs: number, ops: number) => (ops > 0 ? round(cpuMs / ops, 2) : undefined);
