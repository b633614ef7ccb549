/**
 * What a benchmark child (the bot, the echo) measures about itself, one phase
 * at a time, on the parent's word over the IPC channel: the CPU it used, the
 * event loop's longest wait, and its peak resident memory. CPU time holds
 * still on a shared machine where latencies do not; how long the event loop
 * was held says how long one task kept every other request waiting.
 *
 * The first phase runs from process start (start-up, and for the bot its
 * catch-up) until the parent first asks for figures.
 */
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface PhaseFigures {
  /** User + system CPU of the whole process during the phase. */
  cpuMs: number;
  /** How long the event loop was held at the longest, and the 99th percentile of its holds, ms (see heldMs). */
  loopMaxMs: number;
  loopP99Ms: number;
  /** Highest resident memory seen, sampled every 50 ms and at both ends. */
  rssPeakMb: number;
  /** KB the process read from storage rather than the kernel's file cache (Linux's /proc/self/io read_bytes); absent elsewhere. */
  storageReadKb?: number;
}

/** Parent → child. */
export type ProbeRequest = { probe: 'phase' } | { probe: 'advance-clock'; ms: number };
/** Child → parent: the figures of the phase that just ended (a new one starts at once). */
export interface ProbeReply {
  phase: PhaseFigures;
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The event-loop monitor's timer: it ticks this often when nothing holds the loop. */
const LOOP_TICK_MS = 10;

/**
 * How long a task held the event loop, from the monitor's figure: its histogram records the time between two of its
 * ticks, the interval itself included (an idle loop reads about 10 ms), so a task that held the loop 40 ms reads 50.
 */
export function heldMs(tickGapNs: number): number {
  return Math.max(0, Math.round((tickGapNs / 1e6 - LOOP_TICK_MS) * 10) / 10);
}

/** Bytes read from storage so far, by the kernel's count; undefined where there is no /proc. */
function storageReadBytes(): number | undefined {
  try {
    const line = /^read_bytes: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts measuring and answers the parent's requests; `advanceClock` moves the child's business time. */
export function servePhases(advanceClock?: (ms: number) => void): void {
  const loop = monitorEventLoopDelay({ resolution: LOOP_TICK_MS });
  loop.enable();
  // From process start: module loading and start-up belong to the first phase.
  let cpu = { user: 0, system: 0 };
  let rssPeak = process.memoryUsage.rss();
  let readBefore = storageReadBytes();
  const sample = () => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  };
  setInterval(sample, 50).unref();
  process.on('message', (m: ProbeRequest) => {
    if (m.probe === 'advance-clock') {
      advanceClock?.(m.ms);
      process.send?.({ clockAdvanced: m.ms });
      return;
    }
    sample();
    const used = process.cpuUsage(cpu);
    const readNow = storageReadBytes();
    const phase: PhaseFigures = {
      cpuMs: Math.round((used.user + used.system) / 100) / 10,
      loopMaxMs: heldMs(loop.max),
      loopP99Ms: heldMs(loop.percentile(99)),
      rssPeakMb: mb(rssPeak),
      ...(readNow !== undefined && readBefore !== undefined ? { storageReadKb: Math.round((readNow - readBefore) / 1024) } : {}),
    };
    readBefore = readNow;
    cpu = process.cpuUsage();
    loop.reset();
    rssPeak = process.memoryUsage.rss();
    process.send?.({ phase } satisfies ProbeReply);
  });
  // The channel must not keep a child alive that has nothing else to do.
  process.channel?.unref();
}
