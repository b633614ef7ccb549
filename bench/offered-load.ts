/**
 * An offered load: requests sent when they are due, at a given rate, whether
 * or not the earlier ones were answered (an open loop), each timed from when
 * it was due rather than from when a busy client got round to sending it.
 *
 * autocannon, which the bench used before, keeps a rate as a quota a second:
 * each connection sends its share as soon as the second begins, so an offered
 * 200/s reached the server as one burst of 200 a second; and with a rate it
 * corrects for coordinated omission with an interval of `ceil(1 / rate)` —
 * 1 ms — so an answer of 300 ms was counted 300 times (at 300, 299, … 1 ms),
 * which weighs the slowest answers into the p99 far beyond their number.
 * Here arrivals are a Poisson process — teachers submitting independently of
 * each other, bursts as chance makes them — drawn from a fixed seed, so the
 * bot and the echo it is compared with get the very same arrival times.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../src/demo/synthetic.js';

export interface OfferedLoadOptions {
  /** Requests a second, on average. */
  rate: number;
  seconds: number;
  /** A request unanswered this long counts as failed. */
  timeoutMs: number;
  /** The arrival times' seed: the same seed, the same arrivals. */
  seed?: number;
}

export interface OfferedLoadFigures {
  /** Each answered request's time from when it was due to its answer's end, in ms, in arrival order. */
  latencies: number[];
  sent: number;
  /** Requests answered with a 2xx a second, from the first arrival to the last answer. */
  served: number;
  /** Non-2xx answers, connection errors and requests past the timeout. */
  failed: number;
  /** 2xx answers whose body matched `refusal`. */
  refused: number;
}

/** When each request is due, in ms from the start: exponential gaps of mean 1000 / rate. */
export function poissonArrivals(rate: number, seconds: number, seed = 20): number[] {
  const random = mulberry32(seed);
  const out: number[] = [];
  for (let at = 0; ; ) {
    at += (-Math.log(1 - random()) * 1000) / rate;
    if (at >= seconds * 1000) return out;
    out.push(at);
  }
}

/** Offers `url` the requests `next` makes, POSTed at the load's arrival times; resolves once every one is answered or failed. */
export function offerLoad(
  url: string,
  o: OfferedLoadOptions,
  next: () => { headers: Record<string, string>; body: string },
  refusal?: RegExp,
): Promise<OfferedLoadFigures> {
  const due = poissonArrivals(o.rate, o.seconds, o.seed);
  // Kept-alive connections, as many as the requests in flight need: a request never waits for a free one.
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const latencies: number[] = new Array(due.length);
  let failed = 0;
  let refused = 0;
  let settled = 0;
  let lastAnswer = 0;
  return new Promise((resolve) => {
    const start = performance.now() + 20;
    const settle = () => {
      if (++settled < due.length) return;
      agent.destroy();
      const answered = latencies.filter((l) => l !== undefined);
      const span = Math.max(o.seconds * 1000, lastAnswer - start);
      resolve({ latencies: answered, sent: due.length, served: (answered.length * 1000) / span, failed, refused });
    };
    /** Sends arrival `i`; `again`, the same request once more on a new connection (see the error handler). */
    const send = (i: number, again?: { headers: Record<string, string>; body: string }) => {
      const fresh = again !== undefined;
      const { headers, body } = again ?? next();
      let done = false;
      const end = (f: () => void) => {
        if (done) return;
        done = true;
        f();
        settle();
      };
      const req = http.request(
        url,
        { method: 'POST', agent: fresh ? false : agent, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            end(() => {
              const at = performance.now();
              lastAnswer = Math.max(lastAnswer, at);
              const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
              if (!ok) return void failed++;
              latencies[i] = at - (start + due[i]!);
              if (refusal?.test(Buffer.concat(chunks).toString('utf8'))) refused++;
            }),
          );
        },
      );
      req.setTimeout(o.timeoutMs, () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed as idle just as this request took it: the server read nothing,
        // so the request goes again on a new connection, as Node's documentation of the agent advises (keepAlive).
        if (!fresh && req.reusedSocket && e.code === 'ECONNRESET' && !done) {
          done = true;
          return send(i, { headers, body });
        }
        end(() => failed++);
      });
      req.end(body);
    };
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < due.length && start + due[i]! <= now) send(i++);
      if (i < due.length) setTimeout(tick, Math.max(0, start + due[i]! - performance.now()));
    };
    if (due.length === 0) resolve({ latencies: [], sent: 0, served: 0, failed: 0, refused: 0 });
    else setTimeout(tick, Math.max(0, start - performance.now()));
  });
}
