import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { ALICE, BOB, PNG_1x1, apiError, sdkClient, startStandIn } from './helpers.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe('uploads and resources', () => {
  let s: FeishuStandIn;
  let sink: http.Server;
  beforeEach(async () => {
    s = await startStandIn();
    // A bot endpoint that accepts every event, so simulated users can send.
    sink = http.createServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
    s.setWebhook(`http://127.0.0.1:${(sink.address() as AddressInfo).port}/webhook`);
  });
  afterEach(async () => {
    await s.stop();
    await new Promise<void>((r) => sink.close(() => r()));
  });

  it('uploads an image through the SDK and sends it', async () => {
    const client = sdkClient(s);
    const up = await client.im.v1.image.create({ data: { image_type: 'message', image: PNG_1x1 } });
    expect(up?.image_key).toMatch(/^img_v3_/);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'image', content: JSON.stringify({ image_key: up?.image_key }) },
    });
    expect(sent.code).toBe(0);
    // and the bot can download from its own message
    const res = await client.im.v1.messageResource.get({
      path: { message_id: sent.data?.message_id as string, file_key: up?.image_key as string },
      params: { type: 'image' },
    });
    expect((await readAll(res.getReadableStream())).equals(PNG_1x1)).toBe(true);
  });

  it('rejects empty, oversized and non-image uploads', async () => {
    const client = sdkClient(s);
    const empty = await apiError(client.im.v1.image.create({ data: { image_type: 'message', image: Buffer.alloc(0) } }));
    expect(empty.code).toBe(234010);
    const notImage = await apiError(client.im.v1.image.create({ data: { image_type: 'message', image: Buffer.from('hello, not an image') } }));
    expect(notImage.code).toBe(234011);
    const big = Buffer.concat([PNG_1x1, Buffer.alloc(10 * 1024 * 1024)]);
    const tooBig = await apiError(client.im.v1.image.create({ data: { image_type: 'message', image: big } }));
    expect(tooBig.code).toBe(234006);
    const emptyFile = await apiError(client.im.v1.file.create({ data: { file_type: 'pdf', file_name: 'a.pdf', file: Buffer.alloc(0) } }));
    expect(emptyFile.code).toBe(234010);
  });

  it('uploads a file and sends it', async () => {
    const client = sdkClient(s);
    const up = await client.im.v1.file.create({ data: { file_type: 'stream', file_name: '名单.csv', file: Buffer.from('name,mobile\n') } });
    expect(up?.file_key).toMatch(/^file_v3_/);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'file', content: JSON.stringify({ file_key: up?.file_key }) },
    });
    expect(sent.code).toBe(0);
  });

  it('serves the bytes a simulated user sent, with Content-Type; 234003 for a foreign key', async () => {
    const { messageId, imageKey } = await s.sendImage(ALICE.openId, PNG_1x1);
    const client = sdkClient(s);
    const res = await client.im.v1.messageResource.get({ path: { message_id: messageId, file_key: imageKey }, params: { type: 'image' } });
    expect(res.headers['content-type']).toBe('image/png');
    expect((await readAll(res.getReadableStream())).equals(PNG_1x1)).toBe(true);

    const file = await s.sendFile(BOB.openId, '走访记录.txt', Buffer.from('记录内容'));
    const fr = await client.im.v1.messageResource.get({ path: { message_id: file.messageId, file_key: file.fileKey }, params: { type: 'file' } });
    expect(String(fr.headers['content-type'])).toContain('text/plain');
    expect((await readAll(fr.getReadableStream())).toString('utf8')).toBe('记录内容');

    const wrong = await apiError(client.im.v1.messageResource.get({ path: { message_id: messageId, file_key: file.fileKey }, params: { type: 'file' } }));
    expect(wrong.status).toBe(400);
    // error bodies of a stream request arrive as a stream: the code is checked through calls()
    expect(s.calls().at(-1)).toMatchObject({ code: 234003, status: 400 });
    const stored = s.messagesIn(s.p2pChatId(ALICE.openId));
    expect(stored[0]).toMatchObject({ sender: { kind: 'user', openId: ALICE.openId }, msgType: 'image', content: { image_key: imageKey } });
  });
});

describe('contact, chats and bot info', () => {
  let s: FeishuStandIn;
  beforeEach(async () => {
    s = await startStandIn();
  });
  afterEach(async () => {
    await s.stop();
  });

  it('batch_get_id maps mobiles and emails; unmatched entries have no user_id', async () => {
    const client = sdkClient(s);
    const r = await client.contact.v3.user.batchGetId({
      params: { user_id_type: 'open_id' },
      data: { mobiles: ['13800000001', '13800000002', '13900000000'], emails: ['ALICE@school.example', 'nobody@x.example'] },
    });
    expect(r.code).toBe(0);
    expect(r.data?.user_list).toEqual([
      expect.objectContaining({ mobile: '13800000001', user_id: ALICE.openId }),
      expect.objectContaining({ mobile: '13800000002', user_id: BOB.openId }),
      { mobile: '13900000000' },
      expect.objectContaining({ email: 'ALICE@school.example', user_id: ALICE.openId }),
      { email: 'nobody@x.example' },
    ]);
    const tooMany = await apiError(client.contact.v3.user.batchGetId({ data: { mobiles: Array.from({ length: 51 }, (_, i) => `1380000${i}`) } }));
    expect(tooMany.code).toBe(99992402);
  });

  it('pages chat members with page_size / page_token / has_more', async () => {
    const members = Array.from({ length: 45 }, (_, i) => ({ openId: `ou_m${String(i).padStart(3, '0')}`, name: `成员${i}` }));
    members.forEach((m) => s.addUser(m));
    s.addChat({ chatId: 'oc_big', name: '家长群', memberOpenIds: members.map((m) => m.openId) });
    const client = sdkClient(s);
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const r = await client.im.v1.chatMembers.get({
        path: { chat_id: 'oc_big' },
        params: { member_id_type: 'open_id', page_size: 20, ...(pageToken ? { page_token: pageToken } : {}) },
      });
      pages++;
      expect(r.data?.member_total).toBe(45);
      for (const it of r.data?.items ?? []) seen.push(it.member_id as string);
      pageToken = r.data?.has_more ? r.data.page_token : undefined;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(members.map((m) => m.openId));
    const bad = await apiError(client.im.v1.chatMembers.get({ path: { chat_id: 'oc_big' }, params: { page_size: 101 } }));
    expect(bad.code).toBe(99992402);
    s.removeBotFromChat('oc_big');
    expect((await apiError(client.im.v1.chatMembers.get({ path: { chat_id: 'oc_big' } }))).code).toBe(232011);
  });

  it("chat members of an unknown chat_id: 232006; of another organisation's group: 232010, and that group is not listed", async () => {
    const client = sdkClient(s);
    expect((await apiError(client.im.v1.chatMembers.get({ path: { chat_id: 'oc_nowhere' } }))).code).toBe(232006);
    s.addChat({ chatId: 'oc_elsewhere', name: '外校', memberOpenIds: [], tenantKey: 'another-tenant' });
    expect(await apiError(client.im.v1.chatMembers.get({ path: { chat_id: 'oc_elsewhere' } }))).toMatchObject({
      code: 232010,
      msg: 'Operator and chat can NOT be in different tenants.',
    });
    const listed = await client.im.v1.chat.list({ params: { page_size: 100 } });
    expect(listed.data?.items?.map((c) => c.chat_id)).not.toContain('oc_elsewhere');
  });

  it('bot/v3/info answers with bot at top level', async () => {
    const client = sdkClient(s);
    const r = (await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' })) as { code: number; bot: { open_id: string; app_name: string } };
    expect(r.code).toBe(0);
    expect(r.bot.open_id).toBe(s.botOpenId);
    expect(r.bot.app_name).toBe('走访助手');
  });
});
