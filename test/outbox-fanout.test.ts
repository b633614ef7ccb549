import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { runCli } from '../src/cli.js';
import { openDatabase } from '../src/db/index.js';
import { outbox } from '../src/db/schema.js';
import { enqueueOutbound } from '../src/feishu/outbox.js';
import { RateLimiter } from '../src/feishu/rate-limiter.js';
import { DEMO_BRANCH_CHAT_ID, seedDemo } from '../src/demo/seed.js';
import { reportWeeks } from '../src/domain/weeks.js';
import { runLockFile } from '../src/ops/run-lock.js';
import { FeishuStandIn } from '../src/sandbox/index.js';
import { TEST_CAMPAIGN, cst, makeCredentials, startHarness, tmpDbFile, waitFor, type Harness } from './helpers/harness.js';

/**
 * The outbox during a fan-out: many receivers, Feishu failing now and then,
 * and teachers asking the bot things meanwhile. Every assertion is on what
 * arrived and in which order, never on how long it took.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Deterministic "random" for the stand-in's fault injection. */
function seeded(seed: number) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

/** `n` more users of the tenant, who receive the fan-out. */
function addReceivers(hh: Harness, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const openId = `ou_fanout${String(i).padStart(24, '0')}`;
    hh.standIn.addUser({ openId, name: `教师${i}` });
    return openId;
  });
}

/** The bulk texts that arrived, in the order Feishu created them. */
const bulkArrivals = (hh: Harness) =>
  hh.standIn
    .messages()
    .filter((m) => m.sender.kind === 'app' && m.msgType === 'text' && String(m.content.text).startsWith('提醒 '))
    .map((m) => ({ to: m.receiveId ?? m.chatId, n: Number(String(m.content.text).slice(3)) }));

describe('a fan-out under faults', () => {
  it('delivers each reminder once, in order per receiver, without Feishu refusing one for the rate', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-16T08:00:00'), apiTimeoutMs: 1000 });
    const hh = h;
    await hh.settle();
    // 300, not 1,000: Feishu lets an app send 1,000 a minute, so a thousand would hold the test over a minute.
    const total = 300;
    const receivers = addReceivers(hh, 100);
    hh.standIn.faults.set({ errorRate5xx: 0.3, random: seeded(11) });
    // Of the calls, one in ten is refused as over the limit and one in twenty answers after the client gave up.
    let calls = 0;
    hh.standIn.on('call', () => {
      calls++;
      if (calls % 10 === 0) hh.standIn.faults.set({ rateLimitNext: 1 });
      if (calls % 20 === 5) hh.standIn.faults.set({ slowMs: 2500, slowNext: 1 });
    });
    await hh.bot.outbox.enqueue(
      Array.from({ length: total }, (_, i) => ({
        dedupeKey: `remind:${i}`,
        to: { openId: receivers[i % receivers.length]! },
        purpose: 'remind.weekly',
        text: `提醒 ${i}`,
      })),
    );
    await waitFor(
      async () => {
        await hh.settle(2000);
        return (await hh.bot.outbox.backlog()) === 0;
      },
      'the fan-out',
      120_000,
    );

    const arrivals = bulkArrivals(hh);
    expect(arrivals.map((a) => a.n).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    // Each receiver got theirs in the order they were queued, retries and all.
    for (const r of receivers) {
      const mine = arrivals.filter((a) => a.to === r).map((a) => a.n);
      expect(mine, r).toEqual([...mine].sort((a, b) => a - b));
    }
    const log = hh.standIn.calls();
    // The faults did happen …
    expect(log.filter((c) => c.status >= 500).length).toBeGreaterThan(30);
    expect(log.filter((c) => c.note === 'fault: rateLimitNext').length).toBeGreaterThan(10);
    expect(log.filter((c) => c.status === 0 || c.note === 'client aborted').length).toBeGreaterThan(5);
    // … and Feishu never refused a send because the bot went too fast.
    expect(log.filter((c) => c.note?.startsWith('rate limit:'))).toEqual([]);
    expect(
      hh.db
        .select()
        .from(outbox)
        .all()
        .filter((r) => r.purpose === 'remind.weekly' && r.status !== 'sent'),
    ).toEqual([]);
  }, 180_000);

  it("sends a teacher's answer before the reminders queued ahead of it", async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-16T08:00:00') });
    const hh = h;
    await hh.settle();
    const total = 300;
    // The teacher who asks is among the receivers: the answer may pass their own reminders too.
    const teacher = hh.openId('王建国');
    const receivers = [teacher, ...addReceivers(hh, 59)];
    await hh.bot.outbox.enqueue(
      Array.from({ length: total }, (_, i) => ({
        dedupeKey: `remind:${i}`,
        to: { openId: receivers[i % receivers.length]! },
        purpose: 'remind.weekly',
        text: `提醒 ${i}`,
      })),
    );
    await waitFor(() => bulkArrivals(hh).length >= 10, 'the fan-out under way', 30_000);
    await hh.standIn.sendText(teacher, '/帮助');
    await waitFor(
      async () => {
        await hh.settle(2000);
        return (await hh.bot.outbox.backlog()) === 0;
      },
      'the fan-out',
      120_000,
    );

    const fromBot = hh.standIn.messages().filter((m) => m.sender.kind === 'app');
    const answer = fromBot.findIndex((m) => m.receiveId === undefined && m.parentId && !String(m.content.text ?? '').startsWith('提醒 '));
    expect(answer).toBeGreaterThanOrEqual(0);
    // All the reminders were queued before the question, and most were still to go when the answer went out.
    const answerRow = hh.db
      .select()
      .from(outbox)
      .all()
      .find((r) => r.purpose === 'reply')!;
    expect(
      hh.db
        .select()
        .from(outbox)
        .all()
        .filter((r) => r.purpose === 'remind.weekly' && r.id < answerRow.id),
    ).toHaveLength(total);
    const after = fromBot.slice(answer + 1).filter((m) => String(m.content.text ?? '').startsWith('提醒 ')).length;
    expect(after).toBeGreaterThan(total / 2);
    expect(answerRow).toMatchObject({ status: 'sent', priority: 0 });
    expect(bulkArrivals(hh)).toHaveLength(total);
  }, 180_000);
});

describe("an answer to a person's own command", () => {
  it('is not held behind a reminder to that person that Feishu is slow to answer', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-16T08:00:00') });
    const hh = h;
    await hh.settle();
    const teacher = hh.openId('王建国');
    // The reminder's send is answered late, though inside the API timeout.
    hh.standIn.faults.set({ slowMs: 4000, slowNext: 1 });
    await hh.bot.outbox.enqueue({ dedupeKey: 'remind:slow', to: { openId: teacher }, purpose: 'remind.weekly', text: '提醒 0' });
    const reminder = () =>
      hh.db
        .select()
        .from(outbox)
        .all()
        .find((r) => r.dedupeKey === 'remind:slow')!;
    await waitFor(() => reminder().status === 'sending', 'the reminder in flight', 10_000);
    await hh.standIn.sendText(teacher, '/帮助');
    await hh.settle(30_000);

    const toTeacher = hh.standIn.messages().filter((m) => m.sender.kind === 'app' && m.chatId === hh.standIn.p2pChatId(teacher));
    const kinds = toTeacher.map((m) => (String(m.content.text).startsWith('提醒 ') ? 'reminder' : 'answer'));
    // The answer went out while the reminder was still in flight: Feishu stored it first, and each once.
    expect(kinds.indexOf('reminder')).toBe(kinds.length - 1);
    expect(kinds.filter((k) => k === 'reminder')).toHaveLength(1);
    expect(kinds.length).toBeGreaterThan(1);
    expect(reminder()).toMatchObject({ status: 'sent', attempts: 0 });
  }, 60_000);

  it('gets through while a fan-out has used up what the app may send this minute', async () => {
    // Feishu's windows in miniature: 30 a minute, of which bulk leaves 5 to answers.
    const limiter = new RateLimiter({ appPerSecond: 48, appPerMinute: 30, perReceiverPerSecond: 4, answerReserve: { perSecond: 4, perMinute: 5 } });
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-16T08:00:00'), limiter });
    const hh = h;
    await hh.settle();
    // What the start-up catch-up sent is in this minute's window too.
    const bulkShare = 25 - hh.standIn.messages().filter((m) => m.sender.kind === 'app').length;
    const receivers = addReceivers(hh, 40);
    await hh.bot.outbox.enqueue(receivers.map((r, i) => ({ dedupeKey: `notice:${i}`, to: { openId: r }, purpose: 'remind.weekly', text: `提醒 ${i}` })));
    // Bulk stops at its share of the minute; the rest waits for the window to slide.
    await waitFor(() => bulkArrivals(hh).length >= bulkShare, "bulk's share of the minute", 30_000);
    await hh.standIn.sendText(hh.openId('王建国'), '/帮助');
    // Answered from the reserve, long before the minute is over (without it, the answer waits the minute out).
    await waitFor(() => hh.textsTo('王建国').length > 0, 'the answer', 30_000);
    expect(hh.textsTo('王建国')[0]).toMatch(/^走访助手可以做这些事/);
    expect(bulkArrivals(hh)).toHaveLength(bulkShare);
    expect(hh.standIn.calls().filter((c) => c.note?.startsWith('rate limit:'))).toEqual([]);
    // The rest goes out once the window slides; the test does not wait for it.
    await hh.bot.outbox.stop();
  }, 60_000);
});

describe('what counts as an answer', () => {
  it("is whatever a command's handler sends back to the person who asked, not the jobs' messages", async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-13T17:05:00') });
    const hh = h;
    // The export's file and closing note are sent by the feature itself, after the command's first answer.
    await hh.say('陈立华', '/导出');
    await waitFor(() => hh.textsTo('陈立华').some((t) => /^导出完成/.test(t)), 'the export', 60_000);
    // Asked in the group, the answer goes to the asker's direct chat: neither a reply nor a card update, an answer
    // because it goes to someone whose command is being handled.
    await hh.standIn.sendText(hh.openId('陈立华'), '@_user_1 /进度', { chatId: DEMO_BRANCH_CHAT_ID, mentions: [hh.standIn.botMention()] });
    await waitFor(
      () =>
        hh.db
          .select()
          .from(outbox)
          .all()
          .some((r) => r.purpose === 'reply.private'),
      'the private answer',
      30_000,
    );
    await hh.runJob('zone-report-push');
    const rows = hh.db.select().from(outbox).all();
    const priorities = (prefix: string) => [...new Set(rows.filter((r) => r.purpose.startsWith(prefix)).map((r) => r.priority))];
    expect(priorities('export.')).toEqual([0]);
    expect(priorities('reply')).toEqual([0]);
    expect(priorities('reply.private')).toEqual([0]);
    expect(priorities('zone-report.')).toEqual([1]);
  }, 90_000);
});

describe('a slow answer', () => {
  it('holds up one sender: the other messages go out while it is still unanswered', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-16T08:00:00'), apiTimeoutMs: 20_000 });
    const hh = h;
    await hh.settle();
    const receivers = addReceivers(hh, 60);
    hh.standIn.faults.set({ slowMs: 8000, slowNext: 1 });
    await hh.bot.outbox.enqueue(receivers.map((r, i) => ({ dedupeKey: `notice:${i}`, to: { openId: r }, purpose: 'remind.weekly', text: `提醒 ${i}` })));
    await waitFor(() => bulkArrivals(hh).length >= receivers.length - 1, 'all but the slow one', 30_000);
    // Feishu records a call when it answers: the slow one has not been answered yet.
    expect(hh.standIn.calls().filter((c) => c.ms >= 8000)).toEqual([]);
    await hh.settle(30_000);
    expect(bulkArrivals(hh)).toHaveLength(receivers.length);
  }, 60_000);
});

describe('an expired token', () => {
  it('is fetched again once for all senders, and costs no message a try', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-16T08:00:00') });
    const hh = h;
    await hh.settle();
    const receivers = addReceivers(hh, 30);
    hh.standIn.expireTokens();
    const before = hh.standIn.calls().length;
    await hh.bot.outbox.enqueue(receivers.map((r, i) => ({ dedupeKey: `notice:${i}`, to: { openId: r }, purpose: 'remind.weekly', text: `提醒 ${i}` })));
    await hh.settle(30_000);

    const since = hh.standIn.calls().slice(before);
    // The senders all met the expired token together …
    expect(since.filter((c) => c.code === 99991663).length).toBeGreaterThan(1);
    // … and one new token served them all.
    expect(since.filter((c) => c.path === TOKEN_PATH)).toHaveLength(1);
    expect(bulkArrivals(hh)).toHaveLength(receivers.length);
    const rows = hh.db
      .select()
      .from(outbox)
      .all()
      .filter((r) => r.purpose === 'remind.weekly');
    expect(rows.map((r) => ({ status: r.status, attempts: r.attempts }))).toEqual(rows.map(() => ({ status: 'sent', attempts: 0 })));
  }, 60_000);
});

describe('zoufang job run beside a running bot', () => {
  it('only queues, and leaves the sending to the bot', async () => {
    const credentials = makeCredentials();
    const standIn = new FeishuStandIn({ ...credentials });
    await standIn.start();
    const file = tmpDbFile();
    const db = openDatabase(file);
    await seedDemo(db, cst('2026-11-09T08:00:00'), TEST_CAMPAIGN);
    db.$client.close();
    // The bot's run marker, naming a live process on this machine (not this one, which the marker would not count).
    fs.writeFileSync(
      runLockFile(file),
      JSON.stringify({ pid: process.ppid, hostname: (await import('node:os')).hostname(), startedAt: new Date().toISOString() }),
    );
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const at = new Date(reportWeeks(TEST_CAMPAIGN)[0]!.pushAt.getTime() + 5 * 60_000).toISOString();
      const env = { DATABASE_PATH: file, LARK_APP_ID: credentials.appId, LARK_APP_SECRET: credentials.appSecret, LARK_DOMAIN: standIn.baseUrl };
      expect(await runCli(['job', 'run', 'zone-report-push', '--at', at], env)).toBe(0);
      const said = out.mock.calls.flat().join('\n');
      expect(said).toMatch(/新排队 [1-9]\d* 条消息/);
      expect(said).toContain('正在运行的机器人会发出这些消息');
      expect(standIn.calls()).toEqual([]);
      const check = openDatabase(file);
      const queued = check.select().from(outbox).all();
      check.$client.close();
      expect(queued.length).toBeGreaterThan(0);
      expect(queued.every((r) => r.status === 'pending')).toBe(true);
    } finally {
      out.mockRestore();
      await standIn.stop();
    }
  }, 60_000);
});

describe('a card kept as one message while what it shows changes (revision)', () => {
  it('rewrites the card while it waits, patches it once sent, and sends nothing twice', async () => {
    const db = openDatabase(':memory:');
    const card = (n: number) => ({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: `${n} 项待分派` }] } });
    const send = (n: number) =>
      enqueueOutbound(
        db,
        { dedupeKey: 'ledger.triage:c:2026-11-18:1', to: { openId: 'ou_admin' }, purpose: 'ledger.triage', card: card(n), revision: `v${n}` },
        0,
      );
    const rows = () => db.select().from(outbox).orderBy(outbox.id).all();

    expect(await send(1)).toBe(1);
    expect(await send(2)).toBe(0); // still waiting: the same row now says 2
    expect(rows().map((r) => [r.operation, JSON.parse(r.content).body.elements[0].content])).toEqual([['send', '2 项待分派']]);

    db.update(outbox)
      .set({ status: 'sent', feishuMessageId: 'om_triage', sentAt: new Date(0) })
      .run();
    expect(await send(3)).toBe(1);
    expect(await send(3)).toBe(0);
    expect(rows().map((r) => [r.operation, r.targetMessageId, JSON.parse(r.content).body.elements[0].content])).toEqual([
      ['send', null, '2 项待分派'],
      ['patch', 'om_triage', '3 项待分派'],
    ]);
    db.$client.close();
  });

  it('sends a new version as a message of its own once an attempt may have reached Feishu, and never queues a card Feishu would refuse', async () => {
    const db = openDatabase(':memory:');
    const msg = (text: string, revision: string) =>
      ({
        dedupeKey: 'ledger.triage:c:2026-11-19:1',
        to: { openId: 'ou_admin' },
        purpose: 'ledger.triage',
        card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: text }] } },
        revision,
      }) as const;
    const rows = () => db.select().from(outbox).orderBy(outbox.id).all();
    await enqueueOutbound(db, msg('1 项待分派', 'v1'), 0);

    // Too big for Feishu: refused here, and the waiting card is left as it was.
    await expect(enqueueOutbound(db, msg('很长'.repeat(20_000), 'v2'), 0)).rejects.toThrow(/too big for Feishu/);
    expect(rows().map((r) => JSON.parse(r.content).body.elements[0].content)).toEqual(['1 项待分派']);

    // A first attempt timed out: Feishu may hold the card under its uuid, and a retry would only return that one.
    db.update(outbox)
      .set({ uncertainSince: new Date(0) })
      .run();
    expect(await enqueueOutbound(db, msg('2 项待分派', 'v3'), 0)).toBe(1);
    expect(rows().map((r) => [r.dedupeKey, JSON.parse(r.content).body.elements[0].content])).toEqual([
      ['ledger.triage:c:2026-11-19:1', '1 项待分派'],
      ['ledger.triage:c:2026-11-19:1@v3', '2 项待分派'],
    ]);
    db.$client.close();
  });

  it('queues a fan-out whole or not at all: one card Feishu would refuse, and none of the thousand is queued', async () => {
    const db = openDatabase(':memory:');
    const reminder = (i: number, text = `第 ${i} 位老师：本月还差 3 位`) =>
      ({
        dedupeKey: `remind:${i}`,
        to: { openId: `ou_${i}` },
        purpose: 'remind.quota',
        card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: text }] } },
      }) as const;
    const thousand = Array.from({ length: 1000 }, (_, i) => reminder(i));
    // Its last card, well past the first thousand checked, is too big.
    await expect(enqueueOutbound(db, [...thousand, reminder(1000, '很长'.repeat(20_000))], 0)).rejects.toThrow(/too big for Feishu/);
    expect(db.select().from(outbox).all()).toHaveLength(0);
    // And a new version of a card waiting in the queue is worked out among the others.
    expect(await enqueueOutbound(db, thousand, 0)).toBe(1000);
    const again = { ...reminder(7, '第 7 位老师：本月还差 2 位'), revision: 'v2' };
    expect(await enqueueOutbound(db, [...Array.from({ length: 150 }, (_, i) => reminder(2000 + i)), again], 0)).toBe(150);
    const seventh = db.select().from(outbox).where(eq(outbox.dedupeKey, 'remind:7')).get()!;
    expect(JSON.parse(seventh.content).body.elements[0].content).toBe('第 7 位老师：本月还差 2 位');
    expect(db.select().from(outbox).all()).toHaveLength(1150);
    db.$client.close();
  });

  it('updates the version the person sees last, and sends a fresh card once that one is too old to update', async () => {
    const db = openDatabase(':memory:');
    const key = 'ledger.triage:c:2026-11-20:1';
    const msg = (n: number) => ({
      dedupeKey: key,
      to: { openId: 'ou_admin' },
      purpose: 'ledger.triage',
      card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: `${n} 项待分派` }] } },
      revision: `v${n}`,
    });
    const day = 86_400_000;
    const rows = () =>
      db
        .select()
        .from(outbox)
        .orderBy(outbox.id)
        .all()
        .map((r) => [r.dedupeKey, r.operation, r.targetMessageId, JSON.parse(r.content).body.elements[0].content]);
    const sent = (dedupeKey: string, feishuMessageId: string, at: number) =>
      db
        .update(outbox)
        .set({ status: 'sent', feishuMessageId, sentAt: new Date(at) })
        .where(eq(outbox.dedupeKey, dedupeKey))
        .run();

    await enqueueOutbound(db, msg(1), 0);
    // The first attempt may have reached Feishu: version 2 is a message of its own, and it is the one sent.
    db.update(outbox)
      .set({ uncertainSince: new Date(0) })
      .run();
    await enqueueOutbound(db, msg(2), 0);
    sent(key, 'om_first', 0);
    sent(`${key}@v2`, 'om_second', 0);
    // Version 3 updates the card the person saw last, not the first one.
    expect(await enqueueOutbound(db, msg(3), day)).toBe(1);
    expect(rows().at(-1)).toEqual([`${key}@v3`, 'patch', 'om_second', '3 项待分派']);
    // Fourteen days on, Feishu no longer updates that card (230031): version 4 is a fresh card.
    expect(await enqueueOutbound(db, msg(4), 14 * day)).toBe(1);
    expect(rows().at(-1)).toEqual([`${key}@v4`, 'send', null, '4 项待分派']);
    db.$client.close();
  });
});
