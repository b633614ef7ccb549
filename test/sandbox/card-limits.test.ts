import * as lark from '@larksuiteoapi/node-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { ALICE, APP_ID, APP_SECRET, apiError, sdkClient, silentLogger, startStandIn, waitFor } from './helpers.js';

/**
 * The 200-element and 30 KB limits of a card ("卡片 JSON 2.0 结构", "发送消息"),
 * text elements included, on every way a card reaches a client: send, reply,
 * PATCH and the answer to a card callback.
 */

const card = (elements: unknown[]) => ({
  schema: '2.0',
  config: { update_multi: true },
  header: { title: { tag: 'plain_text', content: '请假与代班' }, template: 'blue' },
  body: { elements },
});
/** A list row as bots build them: text on the left, a button on the right — six elements, four of them visible. */
const row = (i: number) => ({
  tag: 'column_set',
  columns: [
    { tag: 'column', elements: [{ tag: 'markdown', content: `**老师${i}** 11/2–11/20` }] },
    { tag: 'column', elements: [{ tag: 'button', text: { tag: 'plain_text', content: '撤销' }, behaviors: [{ type: 'callback', value: { i } }] }] },
  ],
});
const rows = (n: number) => card(Array.from({ length: n }, (_, i) => row(i)));

describe('card limits: text elements count, on send, reply, PATCH and callback answers', () => {
  let s: FeishuStandIn;
  let ws: lark.WSClient | undefined;
  let answer: unknown = {};

  beforeEach(async () => {
    s = await startStandIn();
    const dispatcher = new lark.EventDispatcher({ logger: silentLogger }).register({ 'card.action.trigger': async () => answer } as any);
    ws = new lark.WSClient({ appId: APP_ID, appSecret: APP_SECRET, domain: s.baseUrl, logger: silentLogger });
    await ws.start({ eventDispatcher: dispatcher });
    await waitFor(() => s.connectedClients() === 1 || undefined);
  });
  afterEach(async () => {
    ws?.close({ force: true });
    await s.stop();
  });

  it('33 rows of six (plus the title) pass; 34 rows are 205 elements and are refused with 230099 / 11310', async () => {
    const client = sdkClient(s);
    const send = (c: unknown) =>
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(c) },
      });
    const sent = await send(rows(33));
    expect(sent.code).toBe(0);
    const id = sent.data?.message_id as string;

    const refused = await apiError(send(rows(34)));
    expect([refused.status, refused.code]).toEqual([400, 230099]);
    expect(refused.msg).toContain('ErrCode: 11310; ErrMsg: element exceeds the limit; ErrorValue: 205');

    const reply = await apiError(
      client.im.v1.message.reply({ path: { message_id: id }, data: { msg_type: 'interactive', content: JSON.stringify(rows(34)) } }),
    );
    expect([reply.code, reply.msg.includes('11310')]).toEqual([230099, true]);
    const patch = await apiError(client.im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(rows(34)) } }));
    expect([patch.code, patch.msg.includes('11310')]).toEqual([230099, true]);
    const tooLong = await apiError(
      client.im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(card([{ tag: 'markdown', content: '字'.repeat(11_000) }])) } }),
    );
    expect(tooLong.code).toBe(230025);
    expect(s.messages().find((m) => m.messageId === id)?.updateCount).toBe(0);
  });

  it('30 KB is the request body: a card under 30 KB whose escaped content is over it is refused on send, reply and PATCH', async () => {
    const client = sdkClient(s);
    // 180 rows of quoted speech: about 29 KB as JSON, over 30 KB once every quote is escaped inside the body.
    const quoted = card(Array.from({ length: 180 }, (_, i) => ({ tag: 'markdown', content: `${i}："${'好'.repeat(40)}"` })));
    const json = JSON.stringify(quoted);
    expect(Buffer.byteLength(json)).toBeLessThan(30 * 1024);
    expect(Buffer.byteLength(JSON.stringify({ receive_id: ALICE.openId, msg_type: 'interactive', content: json }))).toBeGreaterThan(30 * 1024);
    const refused = await apiError(
      client.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ALICE.openId, msg_type: 'interactive', content: json } }),
    );
    expect([refused.status, refused.code]).toEqual([400, 230025]);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(rows(1)) },
    });
    const id = sent.data?.message_id as string;
    expect((await apiError(client.im.v1.message.reply({ path: { message_id: id }, data: { msg_type: 'interactive', content: json } }))).code).toBe(230025);
    expect((await apiError(client.im.v1.message.patch({ path: { message_id: id }, data: { content: json } }))).code).toBe(230025);
  });

  it('a callback answer with too many elements or over 30 KB: the client shows 200673 and the card stays as it was', async () => {
    const client = sdkClient(s);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(rows(1)) },
    });
    const messageId = sent.data?.message_id as string;

    answer = { toast: { type: 'success', content: '已撤销' }, card: { type: 'raw', data: rows(34) } };
    const many = await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} });
    expect(many.error?.code).toBe(200673);
    expect(many.error?.msg).toContain('element exceeds the limit');

    answer = { card: { type: 'raw', data: card([{ tag: 'markdown', content: '字'.repeat(11_000) }]) } };
    const big = await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} });
    expect(big.error?.code).toBe(200673);
    expect(big.error?.msg).toContain('230025');

    answer = { card: { type: 'raw', data: rows(33) } };
    expect((await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} })).error).toBeUndefined();
    expect(s.messages().find((m) => m.messageId === messageId)?.updateCount).toBe(1);
  });
});
