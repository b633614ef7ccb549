import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import axios from 'axios';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { ALICE, APP_ID, APP_SECRET, BOB, apiError, sdkClient, startStandIn, textContent } from './helpers.js';

async function token(s: FeishuStandIn): Promise<string> {
  const r = await axios.post(`${s.baseUrl}/open-apis/auth/v3/tenant_access_token/internal`, { app_id: APP_ID, app_secret: APP_SECRET });
  return r.data.tenant_access_token as string;
}

describe('rate limits', () => {
  let s: FeishuStandIn;
  beforeEach(async () => {
    // The limits' clock stands still: every request of a test arrives within one window, however loaded the machine.
    s = await startStandIn({ rateClock: () => 0 });
  });
  afterEach(async () => {
    await s.stop();
  });

  it('a single user receives at most 5 messages per second (230020)', async () => {
    const client = sdkClient(s);
    await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' }); // warm the token cache
    const results = await Promise.allSettled(
      Array.from({ length: 7 }, (_, i) =>
        client.im.v1.message.create({
          params: { receive_id_type: 'open_id' },
          data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent(`m${i}`) },
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(5);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of rejected) {
      expect(r.reason.response.status).toBe(400);
      expect(r.reason.response.data.code).toBe(230020);
    }
    // Another user is not affected.
    const other = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: BOB.openId, msg_type: 'text', content: textContent('x') },
    });
    expect(other.code).toBe(0);
    expect(s.calls().filter((c) => c.code === 230020 && c.note?.includes(ALICE.openId))).toHaveLength(2);
  });

  it('sends and replies to one user share the 5 per second', async () => {
    const client = sdkClient(s);
    const send = () =>
      client.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent('m') } });
    const first = await send();
    const reply = () => client.im.v1.message.reply({ path: { message_id: first.data!.message_id! }, data: { msg_type: 'text', content: textContent('r') } });
    const results = await Promise.allSettled([send(), send(), send(), reply(), reply(), reply()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    expect(s.calls().filter((c) => c.code === 230020)).toHaveLength(2);
  });

  it('the app sends at most 50 per second (HTTP 429, 99991400, x-ogw-ratelimit-*)', async () => {
    const users = Array.from({ length: 11 }, (_, i) => ({ openId: `ou_load${String(i).padStart(3, '0')}`, name: `家长${i}` }));
    users.forEach((u) => s.addUser(u));
    const t = await token(s);
    const send = (openId: string) =>
      axios.post(
        `${s.baseUrl}/open-apis/im/v1/messages?receive_id_type=open_id`,
        { receive_id: openId, msg_type: 'text', content: textContent('load') },
        { headers: { Authorization: `Bearer ${t}` }, validateStatus: () => true },
      );
    const answers = await Promise.all(users.flatMap((u) => Array.from({ length: 5 }, () => send(u.openId))));
    const limited = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(50);
    expect(limited).toHaveLength(5);
    expect(limited[0]?.data.code).toBe(99991400);
    expect(limited[0]?.headers['x-ogw-ratelimit-limit']).toBe('50');
    expect(Number(limited[0]?.headers['x-ogw-ratelimit-reset'])).toBeGreaterThanOrEqual(1);
    expect(s.calls().filter((c) => c.status === 429 && c.note === 'rate limit: app send 50/s')).toHaveLength(5);
  });

  it('enforceRateLimits: false turns the limits off', async () => {
    await s.stop();
    s = await startStandIn({ enforceRateLimits: false });
    const client = sdkClient(s);
    await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' });
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        client.im.v1.message.create({
          params: { receive_id_type: 'open_id' },
          data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent('x') },
        }),
      ),
    );
    expect(results.every((r) => r.code === 0)).toBe(true);
  });
});

describe('faults', () => {
  let s: FeishuStandIn;
  beforeEach(async () => {
    s = await startStandIn();
  });
  afterEach(async () => {
    await s.stop();
  });

  it('errorRate5xx with injected randomness; the token endpoint is spared', async () => {
    const rolls = [0.1, 0.4, 0.9, 0.0, 0.99];
    s.faults.set({ errorRate5xx: 0.5, random: () => rolls.shift() ?? 0.99 });
    const client = sdkClient(s);
    const info = () => client.request({ method: 'GET', url: '/open-apis/bot/v3/info' });
    const first = await apiError(info()); // rolls 0.1 (fault) then 0.4 → 502
    expect(first.status).toBe(502);
    expect((await info()).code).toBe(0); // roll 0.9: fine
    const third = await apiError(info()); // 0.0 fault, then 0.99 → 503
    expect(third.status).toBe(503);
    s.faults.clear();
    expect((await info()).code).toBe(0);
    expect(
      s
        .calls()
        .filter((c) => c.note?.startsWith('fault:'))
        .map((c) => c.status),
    ).toEqual([502, 503]);
    expect(
      s
        .calls()
        .filter((c) => c.path.endsWith('tenant_access_token/internal'))
        .every((c) => c.status === 200),
    ).toBe(true);
  });

  it('rateLimitNext answers the next N calls with 429', async () => {
    const client = sdkClient(s);
    await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' });
    s.faults.set({ rateLimitNext: 2 });
    const info = () => client.request({ method: 'GET', url: '/open-apis/bot/v3/info' });
    for (let i = 0; i < 2; i++) {
      const e = await apiError(info());
      expect([e.status, e.code]).toEqual([429, 99991400]);
      expect(e.headers['x-ogw-ratelimit-reset']).toBe('1');
    }
    expect((await info()).code).toBe(0);
  });

  it('slowMs + slowNext delays only the next N calls, enough to trip a client timeout', async () => {
    const t = await token(s);
    s.faults.set({ slowMs: 3000, slowNext: 1 });
    const get = (timeout: number) => axios.get(`${s.baseUrl}/open-apis/bot/v3/info`, { headers: { Authorization: `Bearer ${t}` }, timeout });
    await expect(get(500)).rejects.toMatchObject({ code: 'ECONNABORTED' });
    // The next call is not slowed: it answers well inside a timeout the slowed one could never meet.
    expect((await get(2500)).data.code).toBe(0);
  });

  it('answerLostNext carries the call out but drops its answer', async () => {
    const client = sdkClient(s);
    await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' });
    s.faults.set({ answerLostNext: 1 });
    const send = () =>
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent('到了吗') },
      });
    const lost = await send().then(
      () => 'answered',
      (e: { response?: unknown; code?: string }) => (e.response ? 'answered' : e.code),
    );
    expect(lost).toBe('ECONNRESET');
    expect(s.messagesTo(ALICE.openId).map((m) => m.content.text)).toEqual(['到了吗']);
    expect((await send()).code).toBe(0);
  });

  it('refuseNext answers the calls each refusal applies to, 230099 carrying its sub-code in msg', async () => {
    const client = sdkClient(s);
    s.faults.set({ refuseNext: ['message-being-sent', 'card-action-locked', 'upload-write-stopped'] });
    expect((await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' })).code).toBe(0); // not a send: passes
    const send = () =>
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: {
          receive_id: ALICE.openId,
          msg_type: 'interactive',
          content: JSON.stringify({ schema: '2.0', config: { update_multi: true }, body: { elements: [] } }),
        },
      });
    expect(await apiError(send())).toMatchObject({ status: 400, code: 230049 });
    const card = await send();
    const locked = await apiError(
      client.im.v1.message.patch({
        path: { message_id: card.data!.message_id! },
        data: { content: JSON.stringify({ schema: '2.0', config: { update_multi: true }, body: { elements: [] } }) },
      }),
    );
    expect(locked.code).toBe(230099);
    expect(locked.msg).toMatch(/ext=ErrCode: 11310; ErrMsg: card action is lock;/);
    const upload = () => client.im.v1.file.create({ data: { file_type: 'stream', file_name: 'a.zip', file: Buffer.from('zip') } });
    expect((await apiError(upload())).code).toBe(232096);
    expect((await upload())?.file_key).toBeTruthy();
  });

  it('dlpBlocksMobiles refuses a message or reply with a plain mobile number (230028) and stores nothing', async () => {
    const client = sdkClient(s);
    const send = (text: string) =>
      client.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent(text) } });
    const first = await send('家长电话 13912345678');
    s.faults.set({ dlpBlocksMobiles: true });
    expect(await apiError(send('家长电话 13912345678'))).toMatchObject({ status: 400, code: 230028 });
    const reply = client.im.v1.message.reply({
      path: { message_id: first.data!.message_id! },
      data: { msg_type: 'text', content: textContent('电话：15800001111') },
    });
    expect((await apiError(reply)).code).toBe(230028);
    expect((await send('学号 201912345678901')).code).toBe(0); // a longer number is not a mobile
    expect(s.messagesTo(ALICE.openId)).toHaveLength(2);
  });

  it('slowMs with slowNext 0 delays every call', async () => {
    const t = await token(s);
    s.faults.set({ slowMs: 150 });
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      await axios.get(`${s.baseUrl}/open-apis/bot/v3/info`, { headers: { Authorization: `Bearer ${t}` } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    }
  });
});
