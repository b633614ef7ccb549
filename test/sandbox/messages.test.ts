import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import axios from 'axios';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { ALICE, APP_ID, APP_SECRET, BOB, apiError, sdkClient, startStandIn, textContent } from './helpers.js';

describe('tokens', () => {
  let s: FeishuStandIn;
  let clock = 1_700_000_000_000;
  beforeEach(async () => {
    clock = 1_700_000_000_000;
    s = await startStandIn({ now: () => clock });
  });
  afterEach(async () => {
    await s.stop();
  });

  it('issues a tenant token with top-level fields and reuses it until 30 min remain', async () => {
    const url = `${s.baseUrl}/open-apis/auth/v3/tenant_access_token/internal`;
    const a = await axios.post(url, { app_id: APP_ID, app_secret: APP_SECRET });
    expect(a.data).toMatchObject({ code: 0, expire: 7200 });
    expect(a.data.tenant_access_token).toMatch(/^t-/);
    expect(a.headers['x-tt-logid']).toBeTruthy();
    clock += 60 * 60_000;
    const b = await axios.post(url, { app_id: APP_ID, app_secret: APP_SECRET });
    expect(b.data.tenant_access_token).toBe(a.data.tenant_access_token);
    expect(b.data.expire).toBe(3600);
    clock += 45 * 60_000; // 15 min left: a new one
    const c = await axios.post(url, { app_id: APP_ID, app_secret: APP_SECRET });
    expect(c.data.tenant_access_token).not.toBe(a.data.tenant_access_token);
    expect(c.data.expire).toBe(7200);
  });

  it('rejects a wrong secret with HTTP 400 and the SDK call fails', async () => {
    const e = await apiError(axios.post(`${s.baseUrl}/open-apis/auth/v3/tenant_access_token/internal`, { app_id: APP_ID, app_secret: 'nope' }));
    expect(e.status).toBe(400);
    expect(e.code).toBe(10014);
    const bad = sdkClient(s, 'nope');
    await expect(
      bad.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent('x') } }),
    ).rejects.toThrow();
  });

  it('missing token → 99991661, unknown → 99991663, expired → 99991663', async () => {
    const url = `${s.baseUrl}/open-apis/bot/v3/info`;
    const missing = await apiError(axios.get(url));
    expect([missing.status, missing.code]).toEqual([400, 99991661]);
    expect(missing.headers['x-tt-logid']).toBeTruthy();
    const unknown = await apiError(axios.get(url, { headers: { Authorization: 'Bearer t-doesnotexist' } }));
    expect([unknown.status, unknown.code]).toEqual([400, 99991663]);

    const client = sdkClient(s);
    const send = () =>
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent('hi') },
      });
    expect((await send()).code).toBe(0);
    clock += 7201 * 1000; // the stand-in's clock passes the expiry; the SDK's cache still holds the token
    const expired = await apiError(send());
    expect(expired.code).toBe(99991663);
  });

  it('expireTokens() invalidates live tokens at once', async () => {
    const client = sdkClient(s);
    expect((await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' })).code).toBe(0);
    s.expireTokens();
    const e = await apiError(client.request({ method: 'GET', url: '/open-apis/bot/v3/info' }));
    expect(e.code).toBe(99991663);
    expect(s.calls().at(-1)).toMatchObject({ status: 400, code: 99991663, path: '/open-apis/bot/v3/info' });
  });
});

describe('sending messages', () => {
  let s: FeishuStandIn;
  beforeEach(async () => {
    s = await startStandIn();
    s.addChat({ chatId: 'oc_group1', name: '三年级组', memberOpenIds: [ALICE.openId, BOB.openId] });
  });
  afterEach(async () => {
    await s.stop();
  });

  it('sends text by open_id and answers with the documented shape', async () => {
    const client = sdkClient(s);
    const seen: string[] = [];
    s.on('message', (m) => seen.push(m.messageId));
    const r = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent('你好') },
    });
    expect(r.code).toBe(0);
    expect(r.data?.message_id).toMatch(/^om_/);
    expect(r.data?.chat_id).toBe(s.p2pChatId(ALICE.openId));
    expect(r.data?.create_time).toMatch(/^\d{13}$/);
    expect(r.data?.sender).toMatchObject({ id: APP_ID, id_type: 'app_id', sender_type: 'app' });
    expect(JSON.parse(r.data?.body?.content ?? '')).toEqual({ text: '你好' });
    expect(seen).toEqual([r.data?.message_id]);
    const stored = s.messagesTo(ALICE.openId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ chatType: 'p2p', msgType: 'text', content: { text: '你好' }, receiveIdType: 'open_id', sender: { kind: 'app' } });
  });

  it('reaches users by email, user_id and chat_id', async () => {
    const client = sdkClient(s);
    const send = (receive_id_type: 'email' | 'user_id' | 'chat_id', receive_id: string) =>
      client.im.v1.message.create({ params: { receive_id_type }, data: { receive_id, msg_type: 'text', content: textContent('x') } });
    expect((await send('email', ALICE.email)).data?.chat_id).toBe(s.p2pChatId(ALICE.openId));
    expect((await send('user_id', s.userIdOf(BOB.openId))).data?.chat_id).toBe(s.p2pChatId(BOB.openId));
    expect((await send('chat_id', 'oc_group1')).data?.chat_id).toBe('oc_group1');
    expect(s.messagesIn('oc_group1')[0]?.chatType).toBe('group');
  });

  it('de-duplicates by uuid within an hour', async () => {
    const client = sdkClient(s);
    const send = () =>
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent('once'), uuid: 'task-42-reminder' },
      });
    const a = await send();
    const b = await send();
    expect(b.data?.message_id).toBe(a.data?.message_id);
    expect(s.messages()).toHaveLength(1);
    expect(s.calls().filter((c) => c.note?.startsWith('uuid dedupe'))).toHaveLength(1);
  });

  it('de-duplicates by uuid for one hour only: a resend after that is a second message', async () => {
    await s.stop();
    let clock = 1_700_000_000_000;
    s = await startStandIn({ now: () => clock });
    const client = sdkClient(s);
    const send = () =>
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: ALICE.openId, msg_type: 'text', content: textContent('once'), uuid: 'task-42-reminder' },
      });
    const first = await send();
    clock += 3600_000;
    expect((await send()).data?.message_id).toBe(first.data?.message_id);
    clock += 1;
    expect((await send()).data?.message_id).not.toBe(first.data?.message_id);
    expect(s.messagesTo(ALICE.openId)).toHaveLength(2);
  });

  it('rejects unknown receivers, chats without the bot and bad content', async () => {
    const client = sdkClient(s);
    const send = (receive_id_type: 'open_id' | 'chat_id', receive_id: string, msg_type: string, content: string) =>
      client.im.v1.message.create({ params: { receive_id_type }, data: { receive_id, msg_type, content } });
    expect((await apiError(send('open_id', 'ou_nobody', 'text', textContent('x')))).code).toBe(230013);
    expect((await apiError(send('chat_id', 'oc_nowhere', 'text', textContent('x')))).code).toBe(230034);
    s.removeBotFromChat('oc_group1');
    expect((await apiError(send('chat_id', 'oc_group1', 'text', textContent('x')))).code).toBe(230002);
    expect((await apiError(send('open_id', ALICE.openId, 'text', JSON.stringify({ txt: 'x' })))).code).toBe(230001);
    expect((await apiError(send('open_id', ALICE.openId, 'text', 'not json'))).code).toBe(230001);
    expect((await apiError(send('open_id', ALICE.openId, 'image', JSON.stringify({ image_key: 'img_missing' })))).code).toBe(230001);
    expect((await apiError(send('open_id', ALICE.openId, 'video_call', '{}'))).code).toBe(230001);
    const tooLong = await apiError(send('open_id', ALICE.openId, 'text', textContent('长'.repeat(60_000))));
    expect(tooLong.code).toBe(230025);
    const post = await send('open_id', ALICE.openId, 'post', JSON.stringify({ zh_cn: { title: 'T', content: [[{ tag: 'text', text: 'hi' }]] } }));
    expect(post.code).toBe(0);
    expect(s.messages()).toHaveLength(1);
  });

  it('replies under a message, and GET returns it', async () => {
    const client = sdkClient(s);
    const root = await client.im.v1.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_group1', msg_type: 'text', content: textContent('root') },
    });
    const messageId = root.data?.message_id as string;
    const r = await client.im.v1.message.reply({
      path: { message_id: messageId },
      data: { msg_type: 'text', content: textContent('re'), reply_in_thread: true },
    });
    expect(r.data).toMatchObject({ root_id: messageId, parent_id: messageId, chat_id: 'oc_group1' });
    expect(r.data?.thread_id).toMatch(/^omt_/);
    const g = await client.im.v1.message.get({ path: { message_id: r.data?.message_id as string } });
    expect(g.data?.items?.[0]?.parent_id).toBe(messageId);
    expect(
      (await apiError(client.im.v1.message.reply({ path: { message_id: 'om_missing' }, data: { msg_type: 'text', content: textContent('x') } }))).code,
    ).toBe(230001);
  });
});
