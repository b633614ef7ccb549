import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { photos, records } from '../src/db/schema.js';
import { DEMO_BRANCH_CHAT_ID } from '../src/demo/seed.js';
import { cardText, waitFor, type Harness } from './helpers/harness.js';
import { PRIVATE, RECORDS_CAMPAIGN, current, latestCard, startRecordsHarness, targetId } from './records/fixtures.js';

/**
 * Photos for records (issue 4 item 5): a teacher sends pictures to the bot in
 * the direct chat; they are downloaded through the resource API, stored by
 * content hash, attached to the form being filled or the latest record, and
 * a failed download is retried until it is saved.
 */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

// ---- a tiny valid PNG, one pixel of the given colour --------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(r: number, g: number, b: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from([0, r, g, b]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// ---- helpers --------------------------------------------------------------------------

function visitForm(extra: Record<string, unknown> = {}) {
  return {
    visitedOn: '2026-11-17 +0800',
    mode: 'in-person',
    place: 'home',
    coVisitors: [],
    summary: '孙小红学习认真，性格内向',
    situation: '父母在外地，跟随祖父母生活',
    purpose: '了解留守学生生活情况',
    content: '与祖父母交流孩子在校表现，约定每月电话沟通',
    reflection: '',
    q_satisfaction: '4',
    q_concern: ['学习'],
    opinions: '',
    followUp: 'none',
    leader: '',
    followUpNote: '',
    noGifts: 'yes',
    ...extra,
  };
}

async function openVisitForm(name: string, target: string): Promise<string> {
  await h.say(name, '/走访');
  const list = latestCard(h, name);
  const r = await h.standIn.clickCard({
    messageId: list.messageId,
    operatorOpenId: h.openId(name),
    value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, target) },
  });
  expect(r.error).toBeUndefined();
  return list.messageId;
}

async function submitVisit(name: string, messageId: string) {
  const r = await h.click(name, messageId, '提交', visitForm());
  expect(r.toast?.type).toBe('success');
  await h.settle();
  return r;
}

async function sendImage(name: string, bytes: Buffer) {
  const sent = await h.standIn.sendImage(h.openId(name), bytes);
  await h.settle();
  return sent;
}

const lastText = (name: string) => h.textsTo(name).at(-1) ?? '';
const photoRows = () => h.db.select().from(photos).orderBy(photos.id).all();
const filesUnder = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));

/** Each stored row points at a file whose bytes hash to the row's sha256, which is the hash of what was sent. */
function expectStored(row: typeof photos.$inferSelect | undefined, sent: Buffer) {
  expect(row).toMatchObject({ status: 'stored', sha256: sha256(sent), contentType: 'image/png', bytes: sent.length, lastError: null, nextAttemptAt: null });
  expect(row!.path).toBe(`${sha256(sent).slice(0, 2)}/${sha256(sent)}.png`);
  const onDisk = fs.readFileSync(path.join(h.photoDir, row!.path!));
  expect(sha256(onDisk)).toBe(row!.sha256);
  expect(onDisk.equals(sent)).toBe(true);
}

/** Ids and hashes only: no names, nothing typed, no file names. */
function expectCleanLogs(...forbidden: string[]) {
  const logged = h.logs.lines.join('\n');
  for (const s of ['孙小红', ...Object.values(PRIVATE), ...forbidden]) expect(logged).not.toContain(s);
}

// ---- tests ----------------------------------------------------------------------------

describe('photos for records', () => {
  it('holds photos sent while a visit form is open and attaches them when it is submitted', async () => {
    h = await startRecordsHarness();
    const messageId = await openVisitForm('刘芳', '孙小红');
    const red = png(255, 0, 0);
    const blue = png(0, 0, 255);

    await sendImage('刘芳', red);
    expect(lastText('刘芳')).toContain('已收到照片（第 1 张），提交这张表时会一起附上：走访记录 · 孙小红');
    await sendImage('刘芳', blue);
    expect(lastText('刘芳')).toContain('已收到照片（第 2 张）');
    expect(photoRows().map((p) => [p.status, p.recordId])).toEqual([
      ['stored', null],
      ['stored', null],
    ]);

    const ok = await submitVisit('刘芳', messageId);
    expect(ok.toast?.content).toContain('已附照片 2 张');
    expect(cardText(current(h, messageId).content)).toContain('照片 2 张');

    const record = h.db.select().from(records).get()!;
    const rows = photoRows();
    expect(rows.map((p) => p.recordId)).toEqual([record.id, record.id]);
    expectStored(rows[0], red);
    expectStored(rows[1], blue);
    expect(filesUnder(h.photoDir)).toHaveLength(2);
    expectCleanLogs();
  });

  it('attaches a photo sent after submitting to the latest record, and tells a teacher with no record how to attach', async () => {
    h = await startRecordsHarness();
    // Nothing open, nothing filed: kept, and the teacher is told what to do.
    const early = png(10, 20, 30);
    await sendImage('刘芳', early);
    expect(lastText('刘芳')).toContain('还没有可以附上的记录');
    expect(lastText('刘芳')).toContain('/走访');
    expect(photoRows()).toMatchObject([{ status: 'stored', recordId: null }]);

    // Filing the visit within 24 h takes it along.
    const messageId = await openVisitForm('刘芳', '孙小红');
    const ok = await submitVisit('刘芳', messageId);
    expect(ok.toast?.content).toContain('已附照片 1 张');
    const record = h.db.select().from(records).get()!;

    // A photo after submitting goes to that record, named in the teacher's own chat.
    const later = png(40, 50, 60);
    h.clock.advance(2 * 3600_000);
    await sendImage('刘芳', later);
    expect(lastText('刘芳')).toContain('已附到 走访记录 · 孙小红 · 11/17（第 2 张）');
    const rows = photoRows();
    expect(rows.map((p) => p.recordId)).toEqual([record.id, record.id]);
    expectStored(rows[1], later);

    // The summary shows both the next time it is drawn.
    const edit = await h.click('刘芳', messageId, '修改');
    expect(edit.toast?.type).not.toBe('error');
    const again = await h.click('刘芳', messageId, '保存修改', visitForm({ reflection: '补充体会' }));
    expect(cardText(again.card?.data)).toContain('照片 2 张');

    // More than 24 h later a photo no longer lands on that visit.
    h.clock.advance(25 * 3600_000);
    await sendImage('刘芳', png(70, 80, 90));
    expect(lastText('刘芳')).toContain('还没有可以附上的记录');
    expect(photoRows().at(-1)).toMatchObject({ status: 'stored', recordId: null });
    expectCleanLogs();
  });

  it('updates the record’s card in place as photos attach after submitting, but never an edit form being filled', async () => {
    h = await startRecordsHarness();
    const messageId = await openVisitForm('刘芳', '孙小红');
    await submitVisit('刘芳', messageId);
    expect(cardText(current(h, messageId).content)).toContain('还没有照片');

    await sendImage('刘芳', png(1, 2, 3));
    await sendImage('刘芳', png(4, 5, 6));
    const shown = cardText(current(h, messageId).content);
    expect(shown).toContain('照片 2 张');
    expect(shown).not.toContain('还没有照片');

    // While the card is an edit form, a photo goes to the record but leaves what is being typed alone.
    await h.click('刘芳', messageId, '修改');
    await sendImage('刘芳', png(7, 8, 9));
    expect(cardText(current(h, messageId).content)).toContain('保存修改');
    expect(photoRows().map((p) => p.recordId)).toEqual([1, 1, 1]);
  });

  it('stores the same picture sent twice once on disk', async () => {
    h = await startRecordsHarness();
    const same = png(12, 34, 56);
    await sendImage('刘芳', same);
    await sendImage('刘芳', same);
    const rows = photoRows();
    expect(rows).toHaveLength(2);
    expect(rows[0]!.path).toBe(rows[1]!.path);
    expectStored(rows[1], same);
    expect(filesUnder(h.photoDir)).toHaveLength(1);
  });

  it('answers a file, or a picture sent as a file, clearly and stores nothing', async () => {
    h = await startRecordsHarness();
    await h.standIn.sendFile(h.openId('刘芳'), '孙小红家访报告.pdf', Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'));
    await h.settle();
    expect(lastText('刘芳')).toContain('只能把以「图片」方式发送的照片附到记录上');
    expect(lastText('刘芳')).toContain('Only pictures can be attached');

    await h.standIn.sendFile(h.openId('刘芳'), 'IMG_0042.JPG', png(1, 2, 3));
    await h.settle();
    expect(lastText('刘芳')).toContain('这是以「文件」方式发送的图片');
    expect(lastText('刘芳')).toContain('「图片」重新发送');

    expect(photoRows()).toHaveLength(0);
    expect(filesUnder(h.photoDir)).toHaveLength(0);
    // The bot never fetched them.
    expect(h.standIn.calls().filter((c) => c.path.includes('/resources/'))).toHaveLength(0);
    expectCleanLogs('家访报告', 'IMG_0042');
  });

  it('keeps a photo whose download fails, tells the teacher, and the retry job saves it later', async () => {
    h = await startRecordsHarness();
    const messageId = await openVisitForm('刘芳', '孙小红');
    await submitVisit('刘芳', messageId);
    const record = h.db.select().from(records).get()!;

    h.standIn.faults.set({ errorRate5xx: 1 });
    const bytes = png(200, 100, 50);
    await h.standIn.sendImage(h.openId('刘芳'), bytes);
    await waitFor(() => photoRows()[0]?.status === 'failed', 'the download to fail', 15_000);
    h.standIn.faults.clear();
    await h.settle();

    const failed = photoRows()[0]!;
    expect(failed).toMatchObject({ status: 'failed', recordId: record.id, attempts: 3, path: null });
    expect(failed.lastError).toMatch(/^feishu 50\d http 50\d$/);
    expect(failed.nextAttemptAt!.getTime()).toBeGreaterThan(h.clock.now().getTime());
    expect(h.standIn.calls().filter((c) => c.path.includes('/resources/') && c.status >= 500)).toHaveLength(3);
    expect(lastText('刘芳')).toContain('我会自动重试');
    expect(filesUnder(h.photoDir)).toHaveLength(0);

    // Not due yet: the job leaves it alone.
    expect((await h.runJob('photo-download-retry')).queued).toBe(0);
    expect(photoRows()[0]!.status).toBe('failed');

    h.clock.advance(5 * 60_000);
    expect((await h.runJob('photo-download-retry')).queued).toBe(1);
    const row = photoRows()[0]!;
    expectStored(row, bytes);
    expect(row.attempts).toBe(4);
    expect(lastText('刘芳')).toContain('之前没能取回的照片已保存。已附到 走访记录 · 孙小红 · 11/17（第 1 张）');

    // Done is done: another run sends nothing.
    h.clock.advance(10 * 60_000);
    expect((await h.runJob('photo-download-retry')).queued).toBe(0);
    expect(h.textsTo('刘芳').filter((t) => t.includes('已保存'))).toHaveLength(1);
    expectCleanLogs();
  });

  it('backs off while Feishu keeps failing, then saves it', async () => {
    h = await startRecordsHarness();
    h.standIn.faults.set({ errorRate5xx: 1 });
    await h.standIn.sendImage(h.openId('刘芳'), png(9, 9, 9));
    await waitFor(() => photoRows()[0]?.status === 'failed', 'the download to fail', 15_000);
    const gaps: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = photoRows()[0]!;
      h.clock.set(before.nextAttemptAt!);
      await h.bot.scheduler.run('photo-download-retry', h.clock.now());
      const after = photoRows()[0]!;
      expect(after).toMatchObject({ status: 'failed', attempts: before.attempts + 1 });
      gaps.push(after.nextAttemptAt!.getTime() - h.clock.now().getTime());
    }
    expect(gaps[1]).toBe(gaps[0]! * 2);
    expect(gaps[2]).toBe(gaps[1]! * 2);
    h.standIn.faults.clear();
    await h.settle();
    h.clock.set(photoRows()[0]!.nextAttemptAt!);
    await h.runJob('photo-download-retry');
    expect(photoRows()[0]!.status).toBe('stored');
    expect(lastText('刘芳')).toContain('之前没能取回的照片已保存');
  });

  it('does not retry what Feishu refuses for good, and asks for the photo again', async () => {
    h = await startRecordsHarness();
    await h.say('刘芳', '/走访');
    const card = latestCard(h, '刘芳');
    // An image key on a card message: Feishu answers 234043, which no retry can fix.
    await h.bot.router.handleMessage({
      kind: 'message',
      key: `msg:${card.messageId}`,
      messageId: card.messageId,
      chatId: card.chatId,
      chatType: 'p2p',
      senderOpenId: h.openId('刘芳'),
      msgType: 'image',
      imageKeys: ['img_v3_not_downloadable'],
      mentionsBot: false,
    });
    await h.settle();
    expect(photoRows()).toMatchObject([{ status: 'failed', attempts: 1, nextAttemptAt: null, lastError: 'feishu 234043 http 400', path: null }]);
    expect(lastText('刘芳')).toContain('无法从飞书取回，请重新发送一次');
    h.clock.advance(24 * 3600_000);
    expect((await h.runJob('photo-download-retry')).queued).toBe(0);
  });

  it('tells someone who is not on the roster, and keeps nothing', async () => {
    h = await startRecordsHarness();
    h.standIn.addUser({ openId: 'ou_visitor0000000000000000000001', name: '访客' });
    await h.standIn.sendImage('ou_visitor0000000000000000000001', png(4, 4, 4));
    await h.settle();
    expect(photoRows()).toHaveLength(0);
    const answer = h.standIn
      .messagesTo('ou_visitor0000000000000000000001')
      .map((m) => m.content.text as string)
      .at(-1);
    expect(answer).toContain('还不在本次活动的名单中');
  });

  it('takes the same image event once, however often it arrives', async () => {
    h = await startRecordsHarness();
    const bytes = png(1, 1, 1);
    const sent = await sendImage('刘芳', bytes);
    const repliesBefore = h.textsTo('刘芳').length;

    // Feishu re-pushes the event (same event_id) …
    const msg = h.standIn.messages().find((m) => m.messageId === sent.messageId)!;
    const event = {
      sender: { sender_id: { open_id: h.openId('刘芳') }, sender_type: 'user', tenant_key: 'tenant' },
      message: {
        message_id: sent.messageId,
        create_time: String(h.clock.now().getTime()),
        chat_id: msg.chatId,
        chat_type: 'p2p',
        message_type: 'image',
        content: JSON.stringify({ image_key: sent.imageKey }),
      },
    };
    await h.standIn.deliver('im.message.receive_v1', event, { eventId: sent.eventId });
    await h.standIn.deliver('im.message.receive_v1', event);
    // … and even past the intake's de-duplication the photo feature takes it once.
    await h.bot.router.handleMessage({
      kind: 'message',
      key: `msg:${sent.messageId}`,
      messageId: sent.messageId,
      chatId: msg.chatId,
      chatType: 'p2p',
      senderOpenId: h.openId('刘芳'),
      msgType: 'image',
      imageKeys: [sent.imageKey],
      mentionsBot: false,
    });
    await h.settle();

    expect(photoRows()).toHaveLength(1);
    expectStored(photoRows()[0], bytes);
    expect(h.textsTo('刘芳')).toHaveLength(repliesBefore);
    expect(h.standIn.calls().filter((c) => c.path.includes('/resources/'))).toHaveLength(1);
    expect(h.logs.lines.some((l) => l.includes('photo: already received'))).toBe(true);
  });

  it('leaves pictures in the branch group alone', async () => {
    h = await startRecordsHarness();
    await h.settle();
    const fromBot = () => h.standIn.messagesIn(DEMO_BRANCH_CHAT_ID).filter((m) => m.sender.kind === 'app').length;
    const before = fromBot();
    await h.standIn.sendImage(h.openId('刘芳'), png(5, 5, 5), { chatId: DEMO_BRANCH_CHAT_ID });
    await h.settle();
    expect(photoRows()).toHaveLength(0);
    expect(fromBot()).toBe(before);
  });
});
