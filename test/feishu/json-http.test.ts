import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonHttp, sayingWhenWrittenOut } from '../../src/feishu/json-http.js';
import { axios } from '../../src/feishu/sdk.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('JsonHttp and the rate limiter', () => {
  it("says a send's call went out once its request is written, before Feishu's answer", async () => {
    const events: string[] = [];
    // The answer waits until the call has been said to have gone out: said only on the answer, the call would hang.
    let answer!: () => void;
    const answerable = new Promise<void>((r) => (answer = r));
    const url = await listen((req, res) => {
      events.push('arrived');
      req.resume().on('end', () => void answerable.then(() => res.setHeader('Content-Type', 'application/json').end('{"code":0}')));
    });
    const client = new JsonHttp(axios.create(), 2000, {});
    const call = sayingWhenWrittenOut(
      () => {
        events.push('written out');
        answer();
      },
      () => client.request({ url: `${url}/open-apis/im/v1/messages`, method: 'post', data: { msg_type: 'text' } }),
    );
    expect(await call).toEqual({ code: 0 });
    expect(events.filter((e) => e === 'written out')).toHaveLength(1);
    expect(events).toContain('arrived');
  });

  it('never says so for a call whose request could not leave (no connection): its slot waits for the failure', async () => {
    const url = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    let said = 0;
    const client = new JsonHttp(axios.create(), 2000, {});
    const call = sayingWhenWrittenOut(
      () => said++,
      () => client.request({ url: `${url}/open-apis/im/v1/messages`, method: 'post', data: { msg_type: 'text' } }),
    );
    await expect(call).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(said).toBe(0);
  });
});
