import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/index.js';
import { Intake } from '../src/feishu/inbound.js';
import { createLogger } from '../src/logger.js';
import type { CardAction, CardReply } from '../src/bot/events.js';
import { tmpDbFile } from './helpers/harness.js';

/** The intake's timing contract, with handlers that really take their time. */

const cardPayload = (eventId: string) => ({
  schema: '2.0',
  header: { event_id: eventId, event_type: 'card.action.trigger', create_time: '1', token: 'v', app_id: 'cli_x', tenant_key: 't' },
  event: {
    operator: { open_id: 'ou_teacher' },
    token: 'c-1',
    action: { value: { action: 'x' }, tag: 'button' },
    context: { open_message_id: 'om_card', open_chat_id: 'oc_chat' },
  },
});

describe('card callback budget', () => {
  it('answers a slow handler at the budget with an interim toast, then hands the card on for an API update', async () => {
    const late: Array<{ e: CardAction; r: CardReply }> = [];
    const intake = new Intake({
      db: openDatabase(tmpDbFile()),
      log: createLogger('silent'),
      cardBudgetMs: 20,
      handlers: {
        onMessage: async () => undefined,
        onMenu: async () => undefined,
        onCard: async () => {
          await new Promise((r) => setTimeout(r, 120));
          return { toast: { type: 'success', content: '提交成功' }, card: { type: 'raw', data: { schema: '2.0' } } };
        },
        onLateCardReply: async (e, r) => void late.push({ e, r }),
      },
    });
    const answer = (await intake.dispatcher.invoke(cardPayload('e-slow'), { needCheck: false })) as CardReply;
    expect(answer.toast?.content).toBe('已收到，正在处理，稍后会更新卡片。');
    expect(late).toHaveLength(0);
    await intake.idle();
    expect(late).toHaveLength(1);
    expect(late[0]!.e.messageId).toBe('om_card');
    expect(late[0]!.r.card?.data).toEqual({ schema: '2.0' });
  });

  it('answers a quick handler inside the request and never calls the late path', async () => {
    const late: unknown[] = [];
    const intake = new Intake({
      db: openDatabase(tmpDbFile()),
      log: createLogger('silent'),
      handlers: {
        onMessage: async () => undefined,
        onMenu: async () => undefined,
        onCard: async () => ({ toast: { type: 'success', content: '好' } }),
        onLateCardReply: async () => void late.push(1),
      },
    });
    const answer = (await intake.dispatcher.invoke(cardPayload('e-quick'), { needCheck: false })) as CardReply;
    expect(answer.toast?.content).toBe('好');
    await intake.idle();
    expect(late).toHaveLength(0);
  });
});

describe('while stopping', () => {
  it('refuses a message so Feishu pushes it again to the restarted bot, and handles it once it is back', async () => {
    const db = openDatabase(tmpDbFile());
    const seen: string[] = [];
    const make = () =>
      new Intake({
        db,
        log: createLogger('silent'),
        handlers: {
          onMessage: async (e) => void seen.push(e.messageId),
          onMenu: async () => undefined,
          onCard: async () => ({}),
          onLateCardReply: async () => undefined,
        },
      });
    const message = {
      schema: '2.0',
      header: { event_id: 'e-msg-1', event_type: 'im.message.receive_v1', create_time: '1', token: 'v', app_id: 'cli_x', tenant_key: 't' },
      event: {
        sender: { sender_id: { open_id: 'ou_teacher' }, sender_type: 'user' },
        message: { message_id: 'om_1', chat_id: 'oc_1', chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text: '/进度' }) },
      },
    };
    const stopping = make();
    await stopping.close();
    await expect(stopping.dispatcher.invoke(message, { needCheck: false })).rejects.toThrow(/restarting/);
    expect(seen).toEqual([]);
    // Feishu's retry reaches the new process; the refused attempt was not recorded as seen.
    const restarted = make();
    await restarted.dispatcher.invoke(message, { needCheck: false });
    await restarted.idle();
    expect(seen).toEqual(['om_1']);
  });
});
