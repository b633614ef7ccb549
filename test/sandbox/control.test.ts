import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decrypt } from '../../src/sandbox/crypto.js';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { ALICE, BOB, ENCRYPT_KEY, PNG_1x1, sdkClient, startStandIn } from './helpers.js';

describe('/_sandbox control endpoints', () => {
  let s: FeishuStandIn;
  let bot: http.Server;
  const events: any[] = [];

  beforeEach(async () => {
    events.length = 0;
    s = await startStandIn();
    s.addChat({ chatId: 'oc_g', name: '教研组', memberOpenIds: [ALICE.openId, BOB.openId] });
    // A minimal webhook bot: decrypts, records, and answers card callbacks with a toast.
    bot = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const env = JSON.parse(decrypt(ENCRYPT_KEY, JSON.parse(body).encrypt));
        events.push(env);
        res.setHeader('Content-Type', 'application/json');
        res.end(env.header.event_type === 'card.action.trigger' ? JSON.stringify({ toast: { type: 'success', content: 'ok' } }) : '{}');
      });
    });
    await new Promise<void>((r) => bot.listen(0, '127.0.0.1', () => r()));
    s.setWebhook(`http://127.0.0.1:${(bot.address() as AddressInfo).port}/`);
  });

  afterEach(async () => {
    await s.stop();
    await new Promise<void>((r) => bot.close(() => r()));
  });

  const api = () => axios.create({ baseURL: s.baseUrl, validateStatus: () => true });

  it('lists users and chats', async () => {
    const users = (await api().get('/_sandbox/users')).data;
    expect(users.map((u: any) => u.openId)).toEqual([ALICE.openId, BOB.openId]);
    expect(users[0].p2pChatId).toBe(s.p2pChatId(ALICE.openId));
    const chats = (await api().get('/_sandbox/chats')).data;
    expect(chats.find((c: any) => c.chatId === 'oc_g')).toMatchObject({ type: 'group', name: '教研组' });
    expect(chats.filter((c: any) => c.type === 'p2p')).toHaveLength(2);
  });

  it('say / image / click, then messages and calls', async () => {
    const say = await api().post('/_sandbox/say', { from: ALICE.openId, text: '家访完成', chat_id: 'oc_g' });
    expect(say.status).toBe(200);
    expect(say.data.messageId).toMatch(/^om_/);
    expect(events[0].event.message).toMatchObject({ chat_type: 'group', content: JSON.stringify({ text: '家访完成' }) });

    const img = await api().post('/_sandbox/image', { from: BOB.openId, base64: PNG_1x1.toString('base64') });
    expect(img.status).toBe(200);
    expect(img.data.imageKey).toMatch(/^img_/);

    const client = sdkClient(s);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'chat_id' },
      data: {
        receive_id: 'oc_g',
        msg_type: 'interactive',
        content: JSON.stringify({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'x' }] } }),
      },
    });
    const click = await api().post('/_sandbox/click', {
      message_id: sent.data?.message_id,
      from: BOB.openId,
      value: { a: 1 },
      form_value: { f: 'v' },
      name: 'btn',
    });
    expect(click.status).toBe(200);
    expect(click.data).toMatchObject({ httpStatus: 200, toast: { type: 'success', content: 'ok' } });
    expect(events.at(-1).event.action).toEqual({ value: { a: 1 }, tag: 'button', name: 'btn', form_value: { f: 'v' } });

    const msgs = (await api().get('/_sandbox/messages', { params: { chat_id: 'oc_g' } })).data;
    expect(msgs.map((m: any) => m.sender.kind)).toEqual(['user', 'app']);
    expect((await api().get('/_sandbox/messages')).data).toHaveLength(3);
    const calls = (await api().get('/_sandbox/calls')).data;
    expect(calls.some((c: any) => c.path === '/open-apis/im/v1/messages' && c.code === 0)).toBe(true);
  });

  it('say with a post delivers it as Feishu does: mentions by @_user_N, pictures by image_key', async () => {
    const say = await api().post('/_sandbox/say', {
      from: ALICE.openId,
      chat_id: 'oc_g',
      post: [
        [
          { tag: 'at', open_id: s.botOpenId },
          { tag: 'at', open_id: BOB.openId },
          { tag: 'text', text: ' /进度' },
        ],
        [{ tag: 'img', base64: PNG_1x1.toString('base64') }],
      ],
    });
    expect(say.status).toBe(200);
    const message = events[0].event.message;
    expect(message.message_type).toBe('post');
    const content = JSON.parse(message.content);
    expect(content.content[0]).toEqual([
      { tag: 'at', user_id: '@_user_1', user_name: '走访助手', style: [] },
      { tag: 'at', user_id: '@_user_2', user_name: BOB.name, style: [] },
      { tag: 'text', text: ' /进度', style: [] },
    ]);
    expect(content.content[1]).toEqual([{ tag: 'img', image_key: say.data.imageKeys[0] }]);
    expect(message.mentions.map((m: any) => [m.key, m.id.open_id])).toEqual([
      ['@_user_1', s.botOpenId],
      ['@_user_2', BOB.openId],
    ]);
    const bad = await api().post('/_sandbox/say', { from: ALICE.openId, post: [[{ tag: 'video' }]] });
    expect(bad.status).toBe(400);
    expect(bad.data.error).toContain('post');
  });

  it('bad input → 400 with a clear message; nowhere to deliver → 503', async () => {
    const noText = await api().post('/_sandbox/say', { from: ALICE.openId });
    expect(noText.status).toBe(400);
    expect(noText.data.error).toContain('text');
    const unknownUser = await api().post('/_sandbox/say', { from: 'ou_ghost', text: 'x' });
    expect(unknownUser.status).toBe(400);
    expect(unknownUser.data.error).toContain('ou_ghost');
    const badJson = await api().post('/_sandbox/say', '{oops', { headers: { 'Content-Type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect((await api().post('/_sandbox/click', { message_id: 'om_x', from: ALICE.openId, value: 3 })).status).toBe(400);
    expect((await api().post('/_sandbox/click', { message_id: 'om_x', from: ALICE.openId, value: {} })).status).toBe(400);
    expect((await api().post('/_sandbox/image', { from: ALICE.openId, base64: Buffer.from('not an image').toString('base64') })).status).toBe(400);
    expect((await api().get('/_sandbox/messages', { params: { chat_id: 'oc_nope' } })).status).toBe(400);
    s.setWebhook(null);
    expect((await api().post('/_sandbox/say', { from: ALICE.openId, text: 'x' })).status).toBe(503);
  });
});
