import * as lark from '@larksuiteoapi/node-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { ALICE, APP_ID, APP_SECRET, BOB, sdkClient, silentLogger, startStandIn, waitFor } from './helpers.js';

const card = (text: string) => ({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: text }] } });

describe('long connection (real WSClient)', () => {
  let s: FeishuStandIn;
  let ws: lark.WSClient | undefined;
  const received: any[] = [];
  let cardHandler: (data: any) => Promise<unknown> = async () => ({});

  beforeEach(async () => {
    received.length = 0;
    s = await startStandIn();
    s.addChat({ chatId: 'oc_grade3', name: '三年级组', memberOpenIds: [ALICE.openId, BOB.openId] });
    const client = sdkClient(s);
    const dispatcher = new lark.EventDispatcher({ logger: silentLogger }).register({
      'im.message.receive_v1': async (data: any) => {
        received.push(data);
        // A bot that answers every text in the same chat.
        await client.im.v1.message.create({
          params: { receive_id_type: 'chat_id' },
          data: { receive_id: data.message.chat_id, msg_type: 'text', content: JSON.stringify({ text: `收到：${JSON.parse(data.message.content).text}` }) },
        });
      },
      'application.bot.menu_v6': async (data: any) => {
        received.push(data);
      },
      'card.action.trigger': async (data: any) => {
        received.push(data);
        return cardHandler(data);
      },
    } as any);
    ws = new lark.WSClient({ appId: APP_ID, appSecret: APP_SECRET, domain: s.baseUrl, logger: silentLogger });
    await ws.start({ eventDispatcher: dispatcher });
    await waitFor(() => s.connectedClients() === 1 || undefined);
  });

  afterEach(async () => {
    ws?.close({ force: true });
    ws = undefined;
    await s.stop();
  });

  it('delivers im.message.receive_v1 with the documented shape and sees the reply', async () => {
    const { messageId, eventId } = await s.sendText(ALICE.openId, '今天走访了3户');
    expect(received).toHaveLength(1);
    // The ACK may come back before the handler's reply is sent.
    await waitFor(() => s.messagesIn(s.p2pChatId(ALICE.openId)).length === 2 || undefined);
    const data = received[0];
    expect(data.event_id).toBe(eventId);
    expect(data.event_type).toBe('im.message.receive_v1');
    expect(data.app_id).toBe(APP_ID);
    expect(data.sender).toMatchObject({ sender_type: 'user', sender_id: { open_id: ALICE.openId } });
    expect(data.message).toMatchObject({ message_id: messageId, chat_type: 'p2p', message_type: 'text', chat_id: s.p2pChatId(ALICE.openId) });
    expect(JSON.parse(data.message.content)).toEqual({ text: '今天走访了3户' });
    expect(data.message.create_time).toMatch(/^\d{13}$/);
    const chat = s.messagesIn(s.p2pChatId(ALICE.openId));
    expect(chat.map((m) => [m.sender.kind, m.content.text])).toEqual([
      ['user', '今天走访了3户'],
      ['app', '收到：今天走访了3户'],
    ]);
  });

  it('group messages carry chat_type group and the mentions given', async () => {
    await s.sendText(BOB.openId, '@_user_1 本周安排', { chatId: 'oc_grade3', mentions: [s.botMention()] });
    expect(received[0].message).toMatchObject({ chat_type: 'group', chat_id: 'oc_grade3' });
    expect(received[0].message.mentions[0]).toMatchObject({ key: '@_user_1', id: { open_id: s.botOpenId } });
  });

  it('a card callback answer comes back through the ACK and updates the card in place', async () => {
    const client = sdkClient(s);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(card('待确认')) },
    });
    const messageId = sent.data?.message_id as string;
    cardHandler = async () => ({ toast: { type: 'success', content: '已确认' }, card: { type: 'raw', data: card('已确认 ✅') } });
    const r = await s.clickCard({
      messageId,
      operatorOpenId: ALICE.openId,
      value: { action: 'confirm', task: 7 },
      formValue: { note: '顺利' },
      name: 'confirm_btn',
    });
    expect(r.error).toBeUndefined();
    expect(r.toast).toEqual({ type: 'success', content: '已确认' });
    expect(s.messages().find((m) => m.messageId === messageId)).toMatchObject({ updateCount: 1, content: card('已确认 ✅') });

    const data = received[0];
    expect(data.event_type).toBe('card.action.trigger');
    expect(data.token).toMatch(/^c-/); // the card token shadows the verification token ("卡片回传交互回调")
    expect(data.operator.open_id).toBe(ALICE.openId);
    expect(data.action).toEqual({ value: { action: 'confirm', task: 7 }, tag: 'button', name: 'confirm_btn', form_value: { note: '顺利' } });
    expect(data.context).toEqual({ open_message_id: messageId, open_chat_id: s.p2pChatId(ALICE.openId) });
    expect(data.host).toBe('im_message');
  });

  it('callback errors: handler throws → 200671, slow handler → 200341, bad card → 200673', async () => {
    const client = sdkClient(s);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(card('x')) },
    });
    const messageId = sent.data?.message_id as string;
    cardHandler = async () => {
      throw new Error('boom');
    };
    expect((await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} })).error?.code).toBe(200671);
    cardHandler = () => new Promise((r) => setTimeout(() => r({}), 4000));
    expect((await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} })).error?.code).toBe(200341);
    cardHandler = async () => ({
      card: { type: 'raw', data: { schema: '2.0', body: { elements: Array.from({ length: 201 }, () => ({ tag: 'markdown', content: '.' })) } } },
    });
    expect((await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} })).error?.code).toBe(200673);
    cardHandler = async () => ({});
    const empty = await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} });
    expect(empty).toMatchObject({ raw: {} });
    expect(s.messages().find((m) => m.messageId === messageId)?.updateCount).toBe(0);
  });

  it('menu clicks arrive as application.bot.menu_v6', async () => {
    await s.menuClick(ALICE.openId, 'menu_today');
    expect(received[0]).toMatchObject({
      event_type: 'application.bot.menu_v6',
      event_key: 'menu_today',
      operator: { operator_id: { open_id: ALICE.openId }, operator_name: ALICE.name },
    });
    expect(typeof received[0].timestamp).toBe('number');
  });

  it('dropConnections: the SDK reconnects by itself and deliveries resume', async () => {
    s.dropConnections();
    expect(s.connectedClients()).toBe(0);
    await expect(s.sendText(ALICE.openId, 'lost', { via: 'ws' })).rejects.toThrow(/长连接/);
    await waitFor(() => s.connectedClients() === 1 || undefined, 8000);
    await s.sendText(ALICE.openId, 'back');
    expect(received.map((d) => JSON.parse(d.message.content).text)).toEqual(['back']);
    expect(s.calls().filter((c) => c.path === '/callback/ws/endpoint').length).toBeGreaterThanOrEqual(2);
  }, 15_000);
});
