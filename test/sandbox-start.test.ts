import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/index.js';
import { assignments, campaigns, dorms, people, targets } from '../src/db/schema.js';
import { tmpDbFile, waitFor } from './helpers/harness.js';
import { startArgs } from '../bench/children.js';

/**
 * `npm start` without credentials: the bot runs a preset's demo campaign against
 * the embedded stand-in, with a synthetic roster imported and matched to accounts.
 */

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

async function startSandbox(env: Record<string, string>) {
  const dbFile = tmpDbFile();
  let out = '';
  child = spawn(process.execPath, startArgs('dist/main.js'), {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'warn', DATABASE_PATH: dbFile, ...env },
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await waitFor(() => /模拟平台 \/ stand-in:\s+(\S+)/.test(out), 'sandbox banner', 30_000);
  return { dbFile, standIn: /模拟平台 \/ stand-in:\s+(\S+)/.exec(out)![1]!, output: () => out };
}

describe('npm start in sandbox mode', { timeout: 60_000 }, () => {
  it('runs seed 000 by default: 35 dorms with their teachers, targets to claim, everyone on the roster has an account', async () => {
    const s = await startSandbox({});
    const db = openDatabase(s.dbFile);
    expect(
      db
        .select()
        .from(campaigns)
        .all()
        .map((c) => c.id),
    ).toEqual(['demo-wei-xingdong']);
    expect(db.select().from(dorms).all()).toHaveLength(35);
    expect(
      db
        .select()
        .from(assignments)
        .all()
        .filter((a) => a.subjectType === 'dorm' && a.endedAt === null),
    ).toHaveLength(55);
    expect(
      db
        .select()
        .from(people)
        .all()
        .every((p) => p.openId),
    ).toBe(true);
    expect(db.select().from(targets).all().length).toBeGreaterThan(100);
    db.$client.close();

    const users = (await (await fetch(`${s.standIn}/_sandbox/users`)).json()) as Array<{ name: string; openId: string }>;
    const teacher = users.find((u) => u.name === '刘芳')!;
    await fetch(`${s.standIn}/_sandbox/say`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: teacher.openId, text: '/认领' }),
    });
    await waitFor(
      async () => {
        const messages = (await (await fetch(`${s.standIn}/_sandbox/messages`)).json()) as Array<{ msgType: string; content: unknown }>;
        return messages.some((m) => m.msgType === 'interactive' && JSON.stringify(m.content).includes('认领走访对象'));
      },
      'claim card',
      20_000,
    );
  });

  it("runs seed 002 when SANDBOX_PRESET names it: the department targets in the seed's numbers, each class's and department's to visit", async () => {
    const s = await startSandbox({ SANDBOX_PRESET: '三大一实干' });
    const db = openDatabase(s.dbFile);
    expect(
      db
        .select()
        .from(campaigns)
        .all()
        .map((c) => c.id),
    ).toEqual(['demo-san-da-yi-shigan']);
    const count = (kind: string) =>
      db
        .select()
        .from(targets)
        .all()
        .filter((t) => t.kind === kind).length;
    expect([
      count('parent-committee'),
      count('community-figure'),
      count('office-teacher'),
      count('lesson-group-teacher'),
      count('logistics-staff'),
      count('outside-helper'),
    ]).toEqual([19, 10, 20, 25, 15, 5]);
    // Nobody assigned a student: the class's teachers share them (由班主任与副班主任、任课教师统筹安排).
    expect(
      db
        .select()
        .from(assignments)
        .all()
        .filter((a) => a.subjectType === 'target'),
    ).toEqual([]);
    const everyone = db.select().from(people).all();
    const head = everyone.find((p) => p.classLed)!;
    const deputy = everyone.find((p) => p.classDeputy === head.classLed)!;
    const leader = everyone.find((p) => p.department === '发展中心')!;
    db.$client.close();

    // A head teacher, the class's deputy and a leader each find their own to visit.
    const lists = [
      { who: head, shows: head.classLed! },
      { who: deputy, shows: head.classLed! },
      { who: leader, shows: '办公室（级组）教师' },
    ];
    for (const { who } of lists) {
      await fetch(`${s.standIn}/_sandbox/say`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: who.openId, text: '/走访' }),
      });
    }
    const replyTo = async (openId: string) => {
      const messages = (await (await fetch(`${s.standIn}/_sandbox/messages`)).json()) as Array<{
        msgType: string;
        content: unknown;
        sender: { kind: string };
        chatId: string;
      }>;
      const p2p = ((await (await fetch(`${s.standIn}/_sandbox/users`)).json()) as Array<{ openId: string; p2pChatId: string }>).find(
        (u) => u.openId === openId,
      )!.p2pChatId;
      return messages.filter((m) => m.chatId === p2p && m.sender.kind === 'app').map((m) => JSON.stringify(m.content));
    };
    for (const { who, shows } of lists) {
      await waitFor(async () => (await replyTo(who.openId!)).some((c) => c.includes('我的走访对象') && c.includes(shows)), `${who.name}'s visit list`, 20_000);
      expect((await replyTo(who.openId!)).join()).not.toContain('你还没有走访对象');
    }
  });
});
