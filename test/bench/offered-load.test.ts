import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { offerLoad, poissonArrivals } from '../../bench/offered-load.js';

/*
 * The card-submit rows' load: random arrivals at the offered rate, each sent
 * when due whatever the server is doing. Nothing here asserts on how fast the
 * server or the client is.
 */

describe('Poisson arrivals', () => {
  it('draws the same arrivals from the same seed, and others from another', () => {
    expect(poissonArrivals(200, 2, 7)).toEqual(poissonArrivals(200, 2, 7));
    expect(poissonArrivals(200, 2, 8)).not.toEqual(poissonArrivals(200, 2, 7));
  });

  it('offers the rate on average, in order, inside the window, with gaps as irregular as independent arrivals', () => {
    const at = poissonArrivals(500, 100);
    expect(at.length).toBeGreaterThan(49_000);
    expect(at.length).toBeLessThan(51_000);
    expect(at.every((t, i) => t >= (at[i - 1] ?? 0) && t < 100_000)).toBe(true);
    const gaps = at.map((t, i) => t - (at[i - 1] ?? 0));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    // Exponential gaps: the standard deviation equals the mean (evenly spaced ones would have none).
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
  });
});

describe('offerLoad', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A server that reads each request's body and lets `answer` decide; the url to offer it. */
  const serve = (answer: (body: string, res: http.ServerResponse, n: number) => void) =>
    new Promise<string>((resolve) => {
      let n = 0;
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString('utf8')));
        req.on('end', () => answer(body, res, n++));
      });
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/webhook/event`));
    });

  it('sends every arrival, and counts the refused, the failed and the unanswered apart from the answered', async () => {
    const url = await serve((body, res) => {
      const { kind } = JSON.parse(body) as { kind: string };
      if (kind === 'hang') return; // never answered: the timeout fails it
      res.writeHead(kind === 'broken' ? 500 : 200, { 'Content-Type': 'application/json' });
      res.end(kind === 'refused' ? '{"toast":{"type":"error"}}' : '{}');
    });
    const kinds = ['ok', 'ok', 'refused', 'broken', 'hang'];
    let i = 0;
    const sentKinds: string[] = [];
    const next = () => {
      const kind = kinds[i++ % kinds.length]!;
      sentKinds.push(kind);
      return { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind }) };
    };
    const r = await offerLoad(url, { rate: 200, seconds: 0.5, timeoutMs: 300 }, next, /"type":"error"/);
    const count = (k: string) => sentKinds.filter((s) => s === k).length;
    expect(r.sent).toBe(poissonArrivals(200, 0.5).length);
    expect(sentKinds).toHaveLength(r.sent);
    expect(r.failed).toBe(count('broken') + count('hang'));
    expect(r.refused).toBe(count('refused'));
    expect(r.latencies).toHaveLength(count('ok') + count('refused'));
    expect(r.latencies.every((l) => l >= 0)).toBe(true);
  });

  it('does not wait for answers before sending what is due (an open loop)', async () => {
    const expected = poissonArrivals(100, 0.3).length;
    const held: http.ServerResponse[] = [];
    // The server answers nothing until every request has arrived: a client that waited for answers would never get there.
    const url = await serve((_body, res) => {
      held.push(res);
      if (held.length === expected) for (const h of held) h.end('{}');
    });
    const r = await offerLoad(url, { rate: 100, seconds: 0.3, timeoutMs: 5_000 }, () => ({ headers: {}, body: '{}' }));
    expect(r).toMatchObject({ sent: expected, failed: 0 });
    expect(r.latencies).toHaveLength(expected);
  });

  it('sends a request again on a new connection when the kept-alive one it took was closed by the server', async () => {
    // Each connection answers its first request; one taken again is closed as the request comes, as a server
    // closing an idle connection at that very moment does. Nothing was read, so nothing is lost by sending again.
    const answered = new WeakSet<object>();
    let closed = 0;
    server = http.createServer((req, res) => {
      if (answered.has(req.socket)) {
        closed++;
        return void req.socket.destroy();
      }
      answered.add(req.socket);
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    const url = await new Promise<string>((resolve) =>
      server!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/webhook/event`)),
    );
    const expected = poissonArrivals(50, 0.5).length;
    const r = await offerLoad(url, { rate: 50, seconds: 0.5, timeoutMs: 5_000 }, () => ({ headers: {}, body: '{}' }));
    expect(closed).toBeGreaterThan(0);
    expect(r).toMatchObject({ sent: expected, failed: 0 });
    expect(r.latencies).toHaveLength(expected);
  });
});
