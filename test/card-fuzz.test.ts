import { afterEach, describe, expect, it } from 'vitest';
import { eq, inArray } from 'drizzle-orm';
import { assignments, dorms, ledgerEvents, ledgerItems, people, targets } from '../src/db/schema.js';
import type { CampaignDefinition } from '../src/domain/campaign.js';
import { DEMO_BRANCH_CHAT_ID, DEMO_PEOPLE, demoLookup } from '../src/demo/seed.js';
import { DISTRICT_CAMPAIGN_ID, DISTRICT_SIZE, districtSheets, generateDistrictRoster, seedDistrictVisits } from '../src/demo/district.js';
import { ROLE_LABELS } from '../src/domain/campaign.js';
import { presetDefinition } from '../src/domain/presets.js';
import { termOn } from '../src/domain/periods.js';
import { mulberry32, Random } from '../src/demo/synthetic.js';
import { RecordRepo } from '../src/records/repo.js';
import { importRoster } from '../src/roster/import.js';
import { completeRow, LIST_SEPARATOR, SHEETS, sheetFromValues, type SheetKind } from '../src/roster/sheets.js';
import { formatProblem } from '../src/roster/validate.js';
import { validateCardContent } from '../src/sandbox/cards.js';
import { cardButtons, cardText, cst, startHarness, type Harness } from './helpers/harness.js';
import { RECORDS_CAMPAIGN } from './records/fixtures.js';

/**
 * Every card is built to fit, whatever the lengths. A seeded generator gives
 * every text a card can show — names, departments, classes, a target's
 * details, the campaign's name, what teachers typed, ledger notes,
 * suggestions, stories — random lengths up to and far beyond their limits (as
 * data typed before the limits, or straight into the database, would be);
 * then every list, digest and form a teacher or admin opens, submits and
 * edits must be taken by the stand-in (200 elements, 30 KB, as ITS validator
 * counts them), and nothing may be refused by the outbox or end in the
 * generic apology. A failure names its seed: CARD_FUZZ_SEED=<seed> reruns it.
 */

/** One seed per run keeps the suite quick; any other can be tried with CARD_FUZZ_SEED (2026 passed too). */
const SEEDS = process.env.CARD_FUZZ_SEED ? [Number(process.env.CARD_FUZZ_SEED)] : [22];
const ADMIN = '陈立华';
const VISITOR = '刘芳';
/** A school's worth, kept small enough to run in seconds: the lists page or cut at this size already. */
const EXTRA_TEACHERS = 120;
const EXTRA_TARGETS = 240;

let h: Harness;
afterEach(async () => h?.close());

/** Texts of random length: short, at the limit, anywhere below it, or far beyond it. */
class Texts {
  constructor(private readonly r: Random) {}
  length(limit: number): number {
    const x = this.r.next();
    if (x < 0.2) return this.r.int(1, Math.min(limit, 6));
    if (x < 0.45) return limit;
    if (x < 0.7) return this.r.int(1, limit);
    if (x < 0.92) return this.r.int(limit + 1, limit * 4 + 10);
    return this.r.int(3000, 10_000);
  }
  /** Mostly CJK (3 bytes each in UTF-8), with the odd markdown character and, for free texts, line breaks. */
  text(n: number, multiline = false): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      const x = this.r.next();
      s += x < 0.02 ? '*' : x < 0.03 ? '<' : multiline && x < 0.05 ? '\n' : String.fromCharCode(0x4e00 + this.r.int(0, 0x51a5));
    }
    return s;
  }
  /** A text for a roster column, at a random length against that column's limit. */
  cell(kind: SheetKind, key: string, multiline = false): string {
    const limit = SHEETS[kind].columns.find((c) => c.key === key)!.maxLength;
    return this.text(this.length(limit), multiline);
  }
  /** A text a form field accepts: at most `max`. */
  typed(max: number, multiline = true): string {
    return this.text(Math.min(max, this.length(max)), multiline).trim() || '好';
  }
}

/** What a teacher types into every field of a form card: each input filled to its max_length. */
function fillForm(card: unknown, t: Texts): Record<string, unknown> | undefined {
  const form: Record<string, unknown> = {};
  let found = false;
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, any>;
      if (o.tag === 'form') found = true;
      if (o.tag === 'input') {
        // A default value longer than the input allows cannot be sent back by the client.
        expect(String(o.default_value ?? '').length).toBeLessThanOrEqual(o.max_length ?? 1000);
        form[o.name] = (o.max_length ?? 1000) <= 4 ? '3' : t.text(o.max_length ?? 1000, o.input_type === 'multiline_text');
      } else if (o.tag === 'select_static') form[o.name] = o.options?.[0]?.value;
      else if (o.tag === 'multi_select_static') form[o.name] = (o.options ?? []).slice(0, 2).map((x: any) => x.value);
      else if (o.tag === 'date_picker') form[o.name] = '2026-11-17 +0800';
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return found ? form : undefined;
}

function expectAccepted(card: unknown, what: string) {
  const check = validateCardContent(JSON.stringify(card));
  expect(check.ok ? 'accepted' : check.msg, what).toBe('accepted');
}

/** The records campaign with a dorm the visitor cares for and one target of theirs, imported as a school does. */
async function school(campaign: CampaignDefinition, cardBudgetMs?: number) {
  h = await startHarness({ transport: 'webhook', at: cst('2026-11-18T10:00:00'), campaign, cardBudgetMs });
  const sheets = [
    sheetFromValues('dorms', [{ building: '7号楼', room: '203', headcount: '6', teachers: `${VISITOR}、黄志强` }]),
    sheetFromValues('targets', [{ kind: '学生家庭', name: '孙小红', className: '2024级机电1班', category: '送爱上门', visitor: VISITOR }]),
  ];
  const report = await importRoster(sheets, { db: h.db, campaign, now: h.clock.now(), lookup: demoLookup });
  if (!report.applied) throw new Error(report.problems.map(formatProblem).join('\n'));
}

/** The school's data, then every text lengthened or shortened at random. */
async function fuzzedSchool(seed: number): Promise<Texts> {
  const r = new Random(mulberry32(seed));
  const t = new Texts(r);
  const campaign = { ...RECORDS_CAMPAIGN, name: t.text(t.length(40)), claiming: { ...RECORDS_CAMPAIGN.claiming, enabled: true, quota: 40 } };
  await school(campaign);

  // Data that came in before the limits, or straight into the database: nothing bounds it.
  const classes = Array.from({ length: 8 }, () => t.cell('classes', 'name'));
  for (const p of h.db.select().from(people).all()) {
    h.db
      .update(people)
      .set({
        name: t.cell('members', 'name'),
        department: t.cell('members', 'department'),
        classLed: r.pick(classes),
        classesTaught: [r.pick(classes), r.pick(classes)],
      })
      .where(eq(people.id, p.id))
      .run();
  }
  const teacherIds = h.db
    .insert(people)
    .values(
      Array.from({ length: EXTRA_TEACHERS }, (_, i) => ({
        name: t.cell('members', 'name'),
        // Half of them leaders, as a district's departments have: every visit form offers them all to report to.
        roles: i % 2 ? ['party-teacher', 'leader'] : ['party-teacher'],
        department: t.cell('members', 'department'),
        mobile: `1370000${String(i).padStart(4, '0')}`,
        classesTaught: [r.pick(classes)],
      })),
    )
    .returning({ id: people.id })
    .all()
    .map((p) => p.id);
  const me = h.db
    .select()
    .from(people)
    .where(eq(people.mobile, DEMO_PEOPLE.find((p) => p.name === VISITOR)!.mobile))
    .get()!;
  const kinds = ['student-family', 'intern'];
  const targetRows = h.db
    .insert(targets)
    .values(
      Array.from({ length: EXTRA_TARGETS }, (_, i) => ({
        campaignId: campaign.id,
        naturalKey: `fuzz:${i}`,
        kind: r.pick(kinds),
        name: t.cell('targets', 'name'),
        className: r.pick(classes),
        parentName: t.cell('targets', 'parentName'),
        phone: t.cell('targets', 'phone'),
        address: t.cell('targets', 'address', true),
        enterprise: r.chance(0.5) ? t.cell('targets', 'enterprise') : null,
        category: r.chance(0.5) ? 'care' : null,
        subKind: r.chance(0.5) ? t.cell('targets', 'subKind') : null,
        reason: t.cell('targets', 'reason', true),
        note: t.cell('targets', 'note', true),
        status: 'open' as const,
        updatedAt: h.clock.now(),
      })),
    )
    .returning({ id: targets.id })
    .all();
  // The visitor holds thirty of them, the other teachers most of the rest; a few wait to be claimed.
  const held = targetRows.slice(0, 30);
  h.db
    .insert(assignments)
    .values([
      ...held.map((x) => ({
        campaignId: campaign.id,
        subjectType: 'target' as const,
        subjectId: x.id,
        personId: me.id,
        via: 'import' as const,
        startedAt: h.clock.now(),
      })),
      ...targetRows.slice(30, -20).map((x) => ({
        campaignId: campaign.id,
        subjectType: 'target' as const,
        subjectId: x.id,
        personId: r.pick(teacherIds),
        via: 'import' as const,
        startedAt: h.clock.now(),
      })),
    ])
    .run();
  const dorm = h.db.select().from(dorms).get()!;
  h.db
    .update(dorms)
    .set({
      headName: t.cell('dorms', 'headName'),
      headClass: r.pick(classes),
      members: Array.from({ length: 8 }, () => ({ name: t.cell('dorms', 'headName'), className: r.pick(classes) })),
    })
    .where(eq(dorms.id, dorm.id))
    .run();

  // What teachers typed: visits with long answers and opinions (ledger items), suggestions and stories.
  const repo = new RecordRepo(h.db);
  const at = h.clock.now();
  for (const [i, x] of held.slice(0, 12).entries()) {
    await repo.save({
      campaignId: campaign.id,
      form: 'visit',
      subject: { type: 'target', id: x.id },
      periodKey: null,
      authorId: me.id,
      occurredOn: `2026-11-1${i % 8}`,
      data: {
        visitedOn: '2026-11-10',
        mode: 'in-person',
        place: 'home',
        coVisitors: [String(r.pick(teacherIds))],
        summary: t.typed(300),
        situation: t.typed(500),
        purpose: t.typed(300),
        content: t.typed(1000),
        reflection: t.typed(500),
        q_satisfaction: '4',
        q_concern: [],
        opinions: t.typed(800),
        followUp: 'none',
        leader: '',
        followUpNote: '',
        noGifts: true,
      },
      at,
      late: false,
      coVisitorIds: [r.pick(teacherIds)],
      issues: Array.from({ length: r.int(1, 4) }, () => ({ raisedBy: 'parent' as const, category: 'visit-opinion', text: t.typed(800) })),
      ledgerOwnerId: me.id,
      ledgerDueOn: '2026-11-15',
    });
  }
  for (const author of [...teacherIds.slice(0, 25), me.id]) {
    await repo.save({
      campaignId: campaign.id,
      form: 'suggestion',
      subject: { type: 'person', id: author },
      periodKey: null,
      authorId: author,
      occurredOn: '2026-11-12',
      data: { topic: t.typed(40, false), content: t.typed(1000) },
      at,
      late: false,
    });
    const story = { title: t.typed(60, false), body: t.typed(1000), body2: t.typed(1000), body3: t.typed(1000) };
    await repo.save({
      campaignId: campaign.id,
      form: 'story',
      subject: { type: 'person', id: author },
      periodKey: termOn(campaign, '2026-11-18').key,
      authorId: author,
      occurredOn: '2026-11-12',
      data: story,
      at,
      late: false,
    });
  }
  // Ledger items of other teachers, with long texts, resolution notes and history notes.
  const items = h.db
    .insert(ledgerItems)
    .values(
      Array.from({ length: 60 }, () => {
        const resolved = r.chance(0.5);
        return {
          campaignId: campaign.id,
          source: 'manual' as const,
          raisedBy: 'teacher' as const,
          text: t.text(t.length(800), true),
          category: t.text(t.length(20)),
          ownerId: r.chance(0.3) ? me.id : r.pick(teacherIds),
          dueOn: `2026-11-1${r.int(0, 9)}`,
          status: resolved ? ('resolved' as const) : ('open' as const),
          createdAt: at,
          updatedAt: at,
          resolution: resolved ? t.text(t.length(500), true) : null,
          resolvedAt: resolved ? at : null,
        };
      }),
    )
    .returning({ id: ledgerItems.id })
    .all();
  h.db
    .insert(ledgerEvents)
    .values(items.map((x) => ({ itemId: x.id, at, actorId: me.id, kind: 'accepted' as const, note: t.text(t.length(500), true) })))
    .run();
  h.db
    .update(ledgerItems)
    .set({ text: t.text(9000, true) })
    .where(
      inArray(
        ledgerItems.id,
        items.slice(0, 3).map((x) => x.id),
      ),
    )
    .run();
  return t;
}

/**
 * Every card a run produces, checked as the stand-in counts it: each command's
 * answer, and every form its buttons open (one of each kind) filled to its
 * limits, submitted and edited; at the end, anything refused, logged as an
 * error or answered with the generic apology.
 */
function cardChecks(t: Texts) {
  const problems: string[] = [];
  const check = (card: unknown, what: string) => {
    const c = validateCardContent(JSON.stringify(card));
    if (!c.ok) problems.push(`${what}: ${c.msg}`);
  };
  const opened = new Set<string>();

  /** Opens `value` on the message, fills and submits the form it shows, then edits the summary. */
  const formRoundTrip = async (who: string, messageId: string, value: Record<string, unknown>, what: string) => {
    const open = await h.standIn.clickCard({ messageId, operatorOpenId: h.openId(who), value });
    if (open.error) return void problems.push(`${what} open: ${open.error.code} ${open.error.msg}`);
    if (!open.card) return;
    check(open.card.data, `${what} open`);
    let card: unknown = open.card.data;
    for (let step = 0; step < 2; step++) {
      const filled = fillForm(card, t);
      const submit = filled && cardButtons(card).find((b) => b.value.action?.toString().endsWith('.submit'));
      if (!submit) break;
      const sent = await h.standIn.clickCard({ messageId, operatorOpenId: h.openId(who), value: submit.value, formValue: filled });
      if (sent.error) return void problems.push(`${what} submit: ${sent.error.code} ${sent.error.msg}`);
      if (!sent.card) return void problems.push(`${what} submit: no card (${sent.toast?.content})`);
      check(sent.card.data, `${what} summary`);
      const edit = cardButtons(sent.card.data).find((b) => b.value.action?.toString().endsWith('.edit'));
      if (!edit) break;
      const again = await h.standIn.clickCard({ messageId, operatorOpenId: h.openId(who), value: edit.value });
      if (again.error) return void problems.push(`${what} edit: ${again.error.code} ${again.error.msg}`);
      if (!again.card) return void problems.push(`${what} edit: no card (${again.toast?.content})`);
      check(again.card.data, `${what} edit`);
      card = again.card?.data;
    }
  };

  /** A command, its cards, and every form their buttons open; `pressAll`: every other button too (a department, 下一页), once. */
  const command = async (who: string, text: string, o: { pressAll?: boolean } = {}) => {
    const before = h.cardsTo(who).length;
    await h.say(who, text);
    const cards = h.cardsTo(who).slice(before);
    if (!cards.length) problems.push(`${who} ${text}: no card (${h.textsTo(who).at(-1)})`);
    for (const m of cards) {
      check(m.content, `${text}`);
      for (const b of cardButtons(m.content)) {
        const action = String(b.value.action ?? '');
        if (action.endsWith('.open')) {
          if (opened.has(action)) continue;
          opened.add(action);
          await formRoundTrip(who, m.messageId, b.value, `${text} → ${action}`);
        } else if (o.pressAll) {
          const r = await h.standIn.clickCard({ messageId: m.messageId, operatorOpenId: h.openId(who), value: b.value });
          if (r.error) problems.push(`${text} → ${b.label}: ${r.error.code} ${r.error.msg}`);
          else if (r.card) check(r.card.data, `${text} → ${b.label}`);
        }
      }
    }
  };

  /** Every card the bot sent to anyone, then what was refused, logged as an error or apologised for. */
  const finish = () => {
    for (const m of h.standIn.messages().filter((x) => x.msgType === 'interactive')) check(m.content, `message ${m.messageId} (${m.chatType})`);
    const refused = h.standIn.calls().filter((c) => c.code === 230099 || c.code === 230025);
    problems.push(...refused.map((c) => `refused by the stand-in: ${c.code} ${c.path} ${c.note ?? ''}`));
    problems.push(...h.logs.lines.filter((l) => /too big|handler failed|"level":50/.test(l)).map((l) => `logged: ${l.slice(0, 300)}`));
    const apologies = DEMO_PEOPLE.flatMap((p) => h.textsTo(p.name)).filter((x) => x.includes('抱歉，处理时出了问题'));
    problems.push(...apologies.map((a) => `apology: ${a}`));
    return problems;
  };

  return { problems, formRoundTrip, command, finish };
}

/** Names the seed of a failing run, and how to run it again. */
async function withSeed(seed: number, file: string, run: () => Promise<void>) {
  try {
    await run();
  } catch (e) {
    (e as Error).message = `card fuzz failed with seed ${seed} (rerun: CARD_FUZZ_SEED=${seed} npx vitest run ${file})\n${(e as Error).message}`;
    throw e;
  }
}

describe('cards fit, whatever the lengths (fuzzed)', { timeout: 120_000 }, () => {
  it.each(SEEDS)('seed %i: digests, lists and every form stay inside 30 KB and 200 elements', (seed) =>
    withSeed(seed, 'test/card-fuzz.test.ts', async () => {
      const t = await fuzzedSchool(seed);
      const { problems, formRoundTrip, command, finish } = cardChecks(t);

      await h.say(VISITOR, '/走访');
      const list = h.cardsTo(VISITOR).at(-1);
      const visitButtons = list ? cardButtons(list.content).filter((x) => x.value.action === 'visit.open') : [];
      if (!visitButtons.length) problems.push(`/走访: no list of targets to visit (${h.textsTo(VISITOR).at(-1)})`);
      for (const text of ['/走访', '/宿舍', '/心得', '/献计', '/体验', '/进度', '/台账']) await command(VISITOR, text);
      // Someone who holds no target yet claims one.
      for (const who of ['黄志强', '王建国']) for (const text of ['/进度', '/认领']) await command(who, text);
      for (const text of ['/汇总', '/汇总 上周', '/谁没交', '/名单', '/台账', '/献计 列表', '/进度']) await command(ADMIN, text);
      // The visitor's targets with the longest details, each form opened straight from the list.
      for (const b of visitButtons.slice(0, 3)) await formRoundTrip(VISITOR, list!.messageId, b.value, 'visit form');

      // The weekly digest to the branch group, and the ledger cards the visits raised.
      h.clock.set(cst('2026-11-23T09:30:00'));
      await h.runJob('digest');
      expect(finish()).toEqual([]);
      expect(h.standIn.messagesIn(RECORDS_CAMPAIGN.branchChatId!).filter((m) => m.msgType === 'interactive').length).toBeGreaterThan(0);
    }),
  );
});

// ---- a district ---------------------------------------------------------------------------------

/** Visits in the district's term: its digests count them; the benchmark's 100,000 would only slow the run. */
const DISTRICT_RECORDS = Number(process.env.CARD_FUZZ_DISTRICT_RECORDS ?? 20_000);
const DISTRICT_AT = cst('2026-11-18T10:00:00');
/** Seed 002, as the benchmark runs it, in the demo branch group. */
const DISTRICT = presetDefinition('三大一实干', { year: 2026, id: DISTRICT_CAMPAIGN_ID, branchChatId: DEMO_BRANCH_CHAT_ID });
const HEAD_TEACHER = VISITOR;
const LEADER = '王建国';

/**
 * The district's roster as the benchmark generates it (1,000 teachers, 10,000
 * targets), every free text then at a random length up to its column's
 * documented maximum (the import refuses longer), names kept unique and every
 * reference (a visitor, a class) following its renamed text. A phone is at
 * most 20 characters once valid, whatever its column allows. The demo cast
 * joins in: 刘芳 heads a class and visits its students, 王建国 visits for 校长室.
 */
function fuzzedDistrictRoster(t: Texts, r: Random, seed: number) {
  const rows = generateDistrictRoster(DISTRICT, DISTRICT_SIZE, seed);
  const upTo = (kind: SheetKind, key: string, multiline = false) => {
    const limit = SHEETS[kind].columns.find((c) => c.key === key)!.maxLength;
    return t.text(Math.min(limit, t.length(limit)), multiline).trim() || '甲';
  };
  const unique = (used: Set<string>, make: () => string) => {
    let s = make();
    while (used.has(s)) s = make();
    used.add(s);
    return s;
  };
  const cast = (name: string) => DEMO_PEOPLE.find((p) => p.name === name)!;

  const classNames = new Set<string>();
  const classOf = new Map(rows.classes.map((c) => [c.name!, unique(classNames, () => upTo('classes', 'name'))]));
  const renamedClasses = (list: string) =>
    list
      .split(LIST_SEPARATOR)
      .filter(Boolean)
      .map((c) => classOf.get(c)!)
      .join(LIST_SEPARATOR);
  const people = new Set([HEAD_TEACHER, LEADER, ADMIN]);
  const nameOf = new Map(rows.members.map((m) => [m.name!, unique(people, () => upTo('members', 'name'))]));
  const [mine, other] = rows.classes.map((c) => classOf.get(c.name!)!);
  const targetNames = new Set<string>();
  let committee = 0;
  const fuzzed = {
    classes: rows.classes.map((c) => ({ ...c, name: classOf.get(c.name!)! })),
    members: [
      ...rows.members.map((m) => {
        const led = m.classLed ? classOf.get(m.classLed)! : '';
        // 刘芳 heads the first class in its head teacher's place.
        return {
          ...m,
          name: nameOf.get(m.name!)!,
          classesTaught: renamedClasses(m.classesTaught ?? ''),
          classLed: led === mine ? '' : led,
          ...(led === mine ? { roles: ROLE_LABELS.teacher } : {}),
        };
      }),
      completeRow('members', {
        name: HEAD_TEACHER,
        mobile: cast(HEAD_TEACHER).mobile,
        roles: [ROLE_LABELS.teacher, ROLE_LABELS['head-teacher']].join(LIST_SEPARATOR),
        classesTaught: [mine, other].join(LIST_SEPARATOR),
        classLed: mine!,
      }),
      completeRow('members', {
        name: LEADER,
        mobile: cast(LEADER).mobile,
        roles: [ROLE_LABELS.leader, ROLE_LABELS.teacher].join(LIST_SEPARATOR),
        department: '校长室',
      }),
    ],
    targets: rows.targets.map((x) => {
      const className = x.className ? classOf.get(x.className)! : '';
      const student = !!className;
      const visitor =
        className === mine && x.kind === '学生家庭（家访）'
          ? HEAD_TEACHER
          : x.kind === '家委会成员' && committee++ < 12
            ? LEADER
            : x.visitor
              ? nameOf.get(x.visitor)!
              : '';
      return {
        ...x,
        name: unique(targetNames, () => upTo('targets', 'name')),
        className,
        parentName: student ? upTo('targets', 'parentName') : '',
        phone: String(r.int(1, 9)) + Array.from({ length: r.int(6, 19) }, () => r.int(0, 9)).join(''),
        address: upTo('targets', 'address', true),
        enterprise: student && r.chance(0.2) ? upTo('targets', 'enterprise') : '',
        reason: upTo('targets', 'reason', true),
        note: upTo('targets', 'note', true),
        visitor,
      };
    }),
  };
  return fuzzed;
}

describe('cards fit at district scale, whatever the lengths in the roster (fuzzed)', { timeout: 240_000 }, () => {
  it.each(SEEDS)('seed %i: the digests, /进度, /谁没交 and every form stay inside 30 KB and 200 elements', (seed) =>
    withSeed(seed, 'test/card-fuzz.test.ts', async () => {
      const r = new Random(mulberry32(seed));
      const t = new Texts(r);
      const cast = (name: string, roles: string, department = '') => ({ name, mobile: DEMO_PEOPLE.find((p) => p.name === name)!.mobile, roles, department });
      h = await startHarness({
        transport: 'webhook',
        at: DISTRICT_AT,
        campaign: DISTRICT,
        cast: [
          sheetFromValues('members', [
            cast(ADMIN, ROLE_LABELS.admin, '校长室'),
            cast(LEADER, ROLE_LABELS.leader, '校长室'),
            cast(HEAD_TEACHER, ROLE_LABELS.teacher),
          ]),
        ],
      });
      // The whole district through the import a school uses, then a term of visits written in bulk.
      const rows = fuzzedDistrictRoster(t, r, seed);
      const report = await importRoster(districtSheets(rows), { db: h.db, campaign: DISTRICT, now: h.clock.now(), lookup: demoLookup });
      if (!report.applied) throw new Error(report.problems.slice(0, 10).map(formatProblem).join('\n'));
      await seedDistrictVisits(h.db, DISTRICT, rows, h.clock.now(), DISTRICT_RECORDS, seed);
      expect(h.db.select({ id: targets.id }).from(targets).all().length).toBe(DISTRICT_SIZE.targets);

      const { command, finish } = cardChecks(t);
      for (const text of ['/进度', '/走访']) await command(HEAD_TEACHER, text);
      for (const text of ['/进度', '/走访']) await command(LEADER, text);
      await command(ADMIN, '/进度');
      await command(ADMIN, '/谁没交', { pressAll: true });
      await command(ADMIN, '/汇总');

      // The week's digest, then November's with the phase that ended.
      for (const at of ['2026-11-23T09:30:00', '2026-12-01T09:30:00']) {
        h.clock.set(cst(at));
        await h.runJob('digest');
      }
      expect(finish()).toEqual([]);
      // Hundreds of teachers behind are counted, never listed: the admins read the names in /谁没交.
      const digests = h.standIn
        .messagesIn(DEMO_BRANCH_CHAT_ID)
        .filter((m) => m.msgType === 'interactive')
        .map((m) => cardText(m.content));
      expect(digests.length).toBeGreaterThan(1);
      const behind = digests.flatMap((d) => d.split('\n').filter((l) => /^进度落后或逾期 \d{3,} 人/.test(l)));
      expect(behind.length).toBeGreaterThan(1);
      for (const l of behind) expect(l).not.toContain('、');
    }),
  );
});

describe('a visit form on a target stored before the limits', { timeout: 60_000 }, () => {
  it('is answered under 30 KB in the callback, by a late PATCH and as a fresh card, its details cut with where to read them', async () => {
    await school(RECORDS_CAMPAIGN, 200);
    const me = h.db
      .select()
      .from(people)
      .where(eq(people.mobile, DEMO_PEOPLE.find((p) => p.name === VISITOR)!.mobile))
      .get()!;
    const long = (n: number) => '甲乙丙丁戊己庚辛壬癸'.repeat(n / 10);
    const [target] = h.db
      .insert(targets)
      .values({
        campaignId: RECORDS_CAMPAIGN.id,
        naturalKey: 'before-limits',
        kind: 'student-family',
        name: '钱小多',
        className: '2024级机电1班',
        parentName: long(3000),
        phone: long(500),
        address: long(10_000),
        reason: long(10_000),
        status: 'open',
        updatedAt: h.clock.now(),
      })
      .returning({ id: targets.id })
      .all();
    h.db
      .insert(assignments)
      .values({ campaignId: RECORDS_CAMPAIGN.id, subjectType: 'target', subjectId: target!.id, personId: me.id, via: 'import', startedAt: h.clock.now() })
      .run();
    const open = { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: target!.id };
    const expectFormFits = (card: unknown) => {
      expect(card, 'the visit form (not an apology)').toBeDefined();
      expectAccepted(card, 'visit form');
      expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThan(30 * 1024);
      const text = cardText(card);
      expect(text).toContain('走访情况记录表 · 钱小多');
      expect(text).toContain('…（全文见 管理员处的走访对象名单）');
      fillForm(card, new Texts(new Random(mulberry32(1))));
    };

    // In the callback.
    await h.say(VISITOR, '/走访');
    const list = h.cardsTo(VISITOR).at(-1)!;
    const inTime = await h.standIn.clickCard({ messageId: list.messageId, operatorOpenId: h.openId(VISITOR), value: open });
    expect(inTime.error).toBeUndefined();
    expectFormFits(inTime.card?.data);

    // Too slow for the callback: patched into the clicked card later, then (near day 14) sent as a fresh card.
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const handle = h.bot.router.handleCard.bind(h.bot.router);
    h.bot.router.handleCard = async (e) => {
      await gate;
      return handle(e);
    };
    const slowClick = async (messageId: string) => {
      const answer = await h.standIn.clickCard({ messageId, operatorOpenId: h.openId(VISITOR), value: open });
      expect(answer.card).toBeUndefined();
      release();
      await h.settle();
      gate = new Promise<void>((r) => (release = r));
    };
    const updates = h.standIn.messages().find((m) => m.messageId === list.messageId)!.updateCount;
    await slowClick(list.messageId);
    const patched = h.standIn.messages().find((m) => m.messageId === list.messageId)!;
    expect(patched.updateCount).toBe(updates + 1);
    expectFormFits(patched.content);

    h.clock.set(new Date(list.createTime + (13 * 24 + 18) * 3600_000));
    const before = h.cardsTo(VISITOR).length;
    await slowClick(list.messageId);
    const fresh = h.cardsTo(VISITOR).slice(before);
    expect(fresh).toHaveLength(1);
    expectFormFits(fresh[0]!.content);
    expect(h.standIn.calls().filter((c) => c.code === 230099 || c.code === 230025 || c.code === 200673)).toEqual([]);
  });
});
