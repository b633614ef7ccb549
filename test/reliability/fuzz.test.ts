import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { campaigns, people, targets } from '../../src/db/schema.js';
import { encryptPayload, signWebhook } from '../../src/sandbox/index.js';
import type { Harness } from '../helpers/harness.js';
import { startRecordsHarness } from '../records/fixtures.js';

/**
 * Hostile input, generated from a fixed seed: well over a thousand malformed,
 * oversized, wrongly typed and injection-laden messages, card callbacks and raw
 * requests, through the signed webhook and the long connection. The bot must
 * not crash, never answer 5xx, answer every well-formed one clearly, and leave
 * the database intact.
 */

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const NASTY = [
  "'; DROP TABLE people; --",
  '" OR 1=1 --',
  "Robert'); DELETE FROM records;--",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  "**粗体** <font color='red'>红</font> [链接](http://x)",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder-looking string is itself the hostile input
  '${campaignId}',
  '{{7*7}}',
  '\u0000\u0001\u0002\u001f',
  '😀🎉👨‍👩‍👧‍👦🏳️‍🌈',
  '\u202e\u200b\ufeff',
  '١٢٣ 𝕏 ﷽',
  'a'.repeat(100 * 1024),
  '走'.repeat(40 * 1024),
  '',
  '   ',
  '\n\n\n',
  '-1',
  '9'.repeat(40),
  'null',
  '[object Object]',
  '../../etc/passwd',
];

const COMMANDS = [
  '/进度',
  '/帮助',
  '/走访',
  '/宿舍',
  '/体验',
  '/心得',
  '/献计',
  '/台账',
  '/台账 新建',
  '/请假',
  '/导出',
  '/汇总',
  '/谁没交',
  '/改派',
  '/认领',
  '/nonexistent',
  '/',
  '//',
  '/进度进度',
];
const PEOPLE = ['陈立华', '王建国', '刘芳', '黄志强'];
const ACTIONS = [
  'zone-report.submit',
  'visit.submit',
  'visit.open',
  'dorm-check.submit',
  'ledger.accept',
  'ledger.close',
  'reminder.snooze',
  'suggestion.promote',
  'leave.remove',
  'claim.take',
  'nominate.approve',
  'unknown.thing',
  '',
  '__proto__',
];

function value(r: () => number): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const kind = Math.floor(r() * 9);
  if (kind === 0) return pick(NASTY);
  if (kind === 1) return Math.floor(r() * 2 ** 31) * (r() < 0.5 ? -1 : 1);
  if (kind === 2) return r() < 0.5;
  if (kind === 3) return null;
  if (kind === 4) return [pick(NASTY), 1, null];
  if (kind === 5) return { nested: { deeper: pick(NASTY) } };
  if (kind === 6) return 1.5e308;
  if (kind === 7) return JSON.parse('{"__proto__":{"admin":true},"constructor":"x"}') as unknown;
  return String(Math.floor(r() * 1000));
}

function cardEvent(r: () => number, h: Harness) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const v: Record<string, unknown> = { action: pick(ACTIONS) };
  for (const k of ['campaignId', 'zoneId', 'weekNo', 'recordId', 'itemId', 'targetId', 'dormId', 'key', 'submissionKey', 'baseRevision', 'leaveId'])
    if (r() < 0.4) v[k] = value(r);
  const form: Record<string, unknown> = {};
  for (const k of ['overall_state', 'student_talks', 'visitedOn', 'mode', 'content', 'note', 'owner', 'hygiene', 'q_satisfaction', 'title', 'body'])
    if (r() < 0.5) form[k] = value(r);
  const operator = r() < 0.85 ? { open_id: h.openId(pick(PEOPLE)) } : r() < 0.5 ? { open_id: 'ou_nobody' } : value(r);
  return {
    operator,
    token: 'c-fuzz',
    action: r() < 0.9 ? { value: r() < 0.9 ? v : value(r), tag: 'button', form_value: r() < 0.9 ? form : value(r) } : value(r),
    host: 'im_message',
    context: r() < 0.9 ? { open_message_id: 'om_fuzz', open_chat_id: 'oc_fuzz' } : value(r),
  };
}

function brokenMessageEvent(r: () => number, h: Harness) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return {
    sender: r() < 0.8 ? { sender_id: { open_id: r() < 0.7 ? h.openId(pick(PEOPLE)) : 'ou_nobody' }, sender_type: pick(['user', 'app', value(r)]) } : value(r),
    message: {
      message_id: r() < 0.9 ? `om_fuzz_${Math.floor(r() * 1e9)}` : value(r),
      chat_id: 'oc_fuzz',
      chat_type: pick(['p2p', 'group', 'topic', value(r)]),
      message_type: pick(['text', 'image', 'file', 'post', 'sticker', 'interactive', value(r)]),
      content: pick([JSON.stringify({ text: pick(NASTY) }), '{not json', JSON.stringify(value(r)), value(r)]),
    },
  };
}

async function rawPost(h: Harness, body: string, o: { sign?: boolean; contentType?: string } = {}) {
  const ts = String(Math.floor(h.clock.now().getTime() / 1000));
  const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/json' };
  if (o.sign)
    Object.assign(headers, {
      'x-lark-request-timestamp': ts,
      'x-lark-request-nonce': 'fz',
      'x-lark-signature': signWebhook(ts, 'fz', h.credentials.encryptKey, body),
    });
  const res = await fetch(`${h.bot.url}/webhook/event`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

function snapshot(h: Harness) {
  return {
    integrity: (h.db.$client.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
    people: h.db.select({ n: sql<number>`count(*)` }).from(people).get()!.n,
    targets: h.db.select({ n: sql<number>`count(*)` }).from(targets).get()!.n,
    campaigns: h.db.select({ n: sql<number>`count(*)` }).from(campaigns).get()!.n,
  };
}

/** Sends `n` rostered people's hostile texts and checks each gets an answer in its chat. */
async function hostileTexts(h: Harness, r: () => number, n: number) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  let unanswered = 0;
  for (let i = 0; i < n; i++) {
    const name = pick(PEOPLE);
    const text = r() < 0.6 ? `${pick(COMMANDS)} ${pick(NASTY)}` : pick(NASTY) || pick(COMMANDS);
    const before = h.standIn.messagesTo(h.openId(name)).filter((m) => m.sender.kind === 'app').length;
    await h.standIn.sendText(h.openId(name), text);
    await h.settle();
    if (h.standIn.messagesTo(h.openId(name)).filter((m) => m.sender.kind === 'app').length === before) unanswered++;
  }
  return unanswered;
}

describe('hostile input', () => {
  it('answers over a thousand malformed, oversized and injection-laden inputs clearly, without a crash or a 5xx', async () => {
    const r = rng(20261128);
    const h = await startRecordsHarness();
    const ws = await startRecordsHarness(undefined, 'ws');
    try {
      const before = snapshot(h);
      let inputs = 0;
      const statuses = new Map<number, number>();
      const note = (s: number | undefined) => statuses.set(s ?? -1, (statuses.get(s ?? -1) ?? 0) + 1);

      // 1. Card callbacks with forged and broken values: every one answered 200 with a toast.
      let silent = 0;
      for (let i = 0; i < 400; i++, inputs++) {
        const res = await h.standIn.deliver('card.action.trigger', cardEvent(r, h), { via: 'webhook' });
        note(res.httpStatus);
        if (res.httpStatus === 200 && !(res.body?.toast?.content || res.body?.card)) silent++;
      }
      // 2. Message events of every broken shape.
      for (let i = 0; i < 250; i++, inputs++) note((await h.standIn.deliver('im.message.receive_v1', brokenMessageEvent(r, h), { via: 'webhook' })).httpStatus);
      // 3. Events the bot does not know, and envelopes that are not events.
      for (let i = 0; i < 50; i++, inputs++) note((await h.standIn.deliver(`im.fuzz.${i}`, value(r), { via: 'webhook' })).httpStatus);
      // 4. Raw requests: unsigned, not JSON, arrays, signed garbage, an encrypted blob that is not ours, over the size limit,
      //    and URL checks (unsigned, as Feishu sends them) with a guessed token or someone else's key.
      const raws: Array<[string, { sign?: boolean; contentType?: string }]> = [
        ['not json', {}],
        ['[]', {}],
        ['null', { sign: true }],
        ['"x"', { sign: true }],
        ['{"encrypt":"AAAA"}', { sign: true }],
        [JSON.stringify({ encrypt: encryptPayload('someone-elses-key', '{"type":"url_verification"}') }), {}],
        [JSON.stringify({ type: 'url_verification', challenge: 'x', token: 'guessed' }), {}],
        [JSON.stringify({ schema: '2.0', header: { event_type: 'card.action.trigger' } }), { sign: true }],
        ['x'.repeat(2 * 1024 * 1024), { sign: true }],
        ['{"a":1}', { contentType: 'text/plain' }],
        ['\u0000', { sign: true }],
      ];
      for (let i = 0; i < 100; i++, inputs++) {
        const [body, o] = raws[i % raws.length]!;
        const res = await rawPost(h, body, o);
        note(res.status);
        expect(res.status, `raw ${i}: ${res.text.slice(0, 80)}`).toBeLessThan(500);
      }
      // 5. Real messages from rostered people, with hostile text, over both transports: each gets an answer.
      const unansweredWebhook = await hostileTexts(h, r, 150);
      const unansweredWs = await hostileTexts(ws, r, 100);
      for (let i = 0; i < 100; i++, inputs++) await ws.standIn.deliver('card.action.trigger', cardEvent(r, ws), { via: 'ws' });
      inputs += 250;

      expect(inputs).toBeGreaterThanOrEqual(1000);
      expect(
        [...statuses.keys()].filter((s) => s >= 500 || s === -1),
        h.logs.lines
          .filter((l) => l.includes('dispatch failed'))
          .slice(0, 3)
          .join('\n'),
      ).toEqual([]);
      expect(statuses.get(200)).toBeGreaterThan(600);
      expect(silent, 'callbacks answered without a toast').toBe(0);
      expect(unansweredWebhook + unansweredWs, 'messages left without an answer').toBe(0);

      // Still alive, and the database is intact.
      for (const x of [h, ws]) expect((await fetch(`${x.bot.url}/healthz`)).status).toBe(200);
      expect(snapshot(h)).toEqual({ ...before, integrity: 'ok' });
      expect(snapshot(ws).integrity).toBe('ok');
      // No handler blew up (replies to the made-up message ids fail at Feishu, as they would).
      for (const x of [h, ws]) expect(x.logs.lines.filter((l) => /dispatch failed|handler failed|worker error|uncaught/i.test(l))).toEqual([]);
    } finally {
      await h.close();
      await ws.close();
    }
  }, 180_000);
});
