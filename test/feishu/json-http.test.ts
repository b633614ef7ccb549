import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FeishuApi } from '../../src/feishu/api.js';
import { JsonHttp, WRITTEN_OUT } from '../../src/feishu/json-http.js';
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
    const said = () => {
      events.push('written out');
      answer();
    };
    const call = client.request({
      url: `${url}/open-apis/im/v1/messages`,
      method: 'post',
      data: { msg_type: 'text' },
      headers: { [WRITTEN_OUT]: said } as never,
    });
    expect(await call).toEqual({ code: 0 });
    expect(events.filter((e) => e === 'written out')).toHaveLength(1);
    expect(events).toContain('arrived');
  });

  it('never says so for a call whose request could not leave (no connection): its slot waits for the failure', async () => {
    const url = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    let said = 0;
    const client = new JsonHttp(axios.create(), 2000, {});
    const call = client.request({
      url: `${url}/open-apis/im/v1/messages`,
      method: 'post',
      data: { msg_type: 'text' },
      headers: { [WRITTEN_OUT]: () => said++ } as never,
    });
    await expect(call).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(said).toBe(0);
  });

  it("is told through the SDK: a send via FeishuApi says when its request went out, and nothing of that reaches Feishu's headers", async () => {
    let answer!: () => void;
    const answerable = new Promise<void>((r) => (answer = r));
    const seen: http.IncomingHttpHeaders[] = [];
    const url = await listen((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.includes('tenant_access_token')) return void res.end('{"code":0,"tenant_access_token":"t-1","expire":7200}');
      seen.push(req.headers);
      req.resume().on('end', () => void answerable.then(() => res.end('{"code":0,"data":{"message_id":"om_1"}}')));
    });
    const api = new FeishuApi({ appId: 'cli_0123456789abcdef', appSecret: 's', baseUrl: url, logger: pino({ level: 'silent' }) });
    let said = 0;
    const sent = api.send('open_id', 'ou_x', { msgType: 'text', content: '{"text":"hi"}', uuid: 'u1' }, () => {
      said++;
      answer();
    });
    // Answered only once the send has said its request went out: had it not, the send would hang.
    expect(await sent).toBe('om_1');
    expect(said).toBe(1);
    expect(seen).toHaveLength(1);
    expect(Object.keys(seen[0]!).sort()).toEqual(['accept', 'authorization', 'connection', 'content-length', 'content-type', 'host', 'user-agent']);
  });
});
