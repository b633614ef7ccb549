import type { Db } from '../db/index.js';
import { CampaignRepo } from '../db/repos.js';
import { ledgerItems, people, recordVisitors, records, targets } from '../db/schema.js';
import { ROLE_LABELS, type CampaignDefinition, type Role } from '../domain/campaign.js';
import { presetDefinition } from '../domain/presets.js';
import { dayjs, inZone, localMidnight } from '../domain/time.js';
import { visitColumns } from '../records/repo.js';
import { newSubmissionKey } from '../records/submission-key.js';
import { importRoster } from '../roster/import.js';
import { completeRow, LIST_SEPARATOR, sheetFromValues, type RosterSheet } from '../roster/sheets.js';
import type { WorkbookRows } from '../roster/template.js';
import { formatProblem, studentKey } from '../roster/validate.js';
import { address, hex32, mulberry32, NumberBlock, personName, Random, syntheticLookup, uniqueName } from './synthetic.js';

/**
 * A district's worth of synthetic data for the benchmark: seed 002's campaign
 * (monthly visit quotas, every student covered) run by many schools' teachers
 * at once. The roster goes in through the same import a school uses; the
 * visits that a term of work would have produced are written in bulk, since
 * filing 100,000 cards one by one would only measure the generator.
 */

export interface DistrictSize {
  teachers: number;
  targets: number;
  records: number;
}

export const DISTRICT_SIZE: DistrictSize = { teachers: 1000, targets: 10_000, records: 100_000 };
export const DISTRICT_CAMPAIGN_ID = 'district';

export const DISTRICT_BRANCH_CHAT_ID = `oc_${hex32('district-branch-chat')}`;
/** Feishu accounts of the district's people, derived from their mobiles so every process agrees. */
export const districtOpenId = (mobile: string) => `ou_${hex32(`district-person:${mobile}`)}`;
export const districtLookup = syntheticLookup(districtOpenId);

/** Seed 002's campaign for the year of `now`, so the benchmark always runs inside its window. */
export function districtCampaign(now: Date): CampaignDefinition {
  const year = inZone(now, 'Asia/Shanghai').year();
  return presetDefinition('san-da-yi-shigan', { year, id: DISTRICT_CAMPAIGN_ID, branchChatId: DISTRICT_BRANCH_CHAT_ID });
}

/** Which department visits which kinds of non-student target (seed 002's table). */
const DEPARTMENT_OF_KIND: Record<string, string> = {
  'parent-committee': '校长室',
  'community-figure': '校长室',
  'student-leader': '学生中心',
  'office-teacher': '发展中心',
  'lesson-group-teacher': '课程中心',
  'logistics-staff': '服务中心',
  'outside-helper': '服务中心',
};

const STUDENTS_PER_CLASS = 38;
const LEADERS_PER_CLASS = 2;

/** Phone numbers from consecutive unallocated 199 blocks, 10,000 each. */
function phoneSource(r: Random, firstBlock: number): () => string {
  let block = firstBlock;
  const open = () => new NumberBlock(`199${String(block).padStart(4, '0')}`, r);
  let current = open();
  return () => {
    if (current.exhausted) {
      block++;
      current = open();
    }
    return current.next();
  };
}

/**
 * The district's roster as the sheets a secretary would fill: classes, members
 * (one admin, ten leaders per department per thousand teachers, the rest class
 * teachers) and targets, each with its visitor. Pure in (definition, size, seed).
 */
export function generateDistrictRoster(
  def: CampaignDefinition,
  size: Pick<DistrictSize, 'teachers' | 'targets'>,
  seed = 2,
): Required<Pick<WorkbookRows, 'classes' | 'members' | 'targets'>> {
  const r = new Random(mulberry32(seed));
  const adults = new Set<string>();
  const memberPhone = phoneSource(r, 2);
  const targetPhone = phoneSource(r, 10);

  const kinds = def.targetKinds;
  const adultKinds = kinds.filter((k) => !k.student);
  const adultWeight = adultKinds.reduce((s, k) => s + (k.expectedCount ?? 5), 0);
  const adultTotal = Math.round(size.targets * 0.04);
  const classCount = Math.max(1, Math.round((size.targets - adultTotal) / STUDENTS_PER_CLASS));
  const classNames = Array.from({ length: classCount }, (_, i) => `${Math.floor(i / 40) + 1}校${(i % 6) + 1}年级（${Math.floor((i % 40) / 6) + 1}）班`);

  // ── members ──
  const departments = def.departments;
  const perDepartment = Math.max(1, Math.round(size.teachers / 100));
  type Member = { name: string; mobile: string; roles: Role[]; department: string; classes: string[]; classLed: string };
  const members: Member[] = [];
  const addMember = (roles: Role[], department: string, classes: string[] = [], classLed = '') =>
    members.push({ name: uniqueName(r, adults), mobile: memberPhone(), roles, department, classes, classLed });
  addMember(['admin', 'leader', 'teacher'], departments[0] ?? '');
  for (const d of departments) for (let i = 0; i < perDepartment && members.length < size.teachers; i++) addMember(['leader', 'teacher'], d);
  const leaderCount = members.length;
  for (let i = 0; members.length < size.teachers; i++) {
    const cls = classNames[i % classCount]!;
    addMember(i < classCount ? ['teacher', 'head-teacher'] : ['teacher'], '', [cls], i < classCount ? cls : '');
  }
  const teachersOfClass = new Map<string, Member[]>(classNames.map((c) => [c, []]));
  for (const m of members.slice(leaderCount)) teachersOfClass.get(m.classes[0]!)!.push(m);
  const leadersOf = (department: string) => members.filter((m) => m.department === department && m.roles.includes('leader'));

  // ── targets ──
  const out: Array<Record<string, string>> = [];
  const turn = new Map<string, number>();
  const nextOf = <T>(key: string, list: T[]): T | undefined => {
    if (!list.length) return undefined;
    const n = turn.get(key) ?? 0;
    turn.set(key, n + 1);
    return list[n % list.length];
  };
  for (const k of adultKinds) {
    const count = Math.round((adultTotal * (k.expectedCount ?? 5)) / adultWeight);
    const visitors = leadersOf(DEPARTMENT_OF_KIND[k.key] ?? '');
    for (let i = 0; i < count; i++) {
      out.push(
        completeRow('targets', {
          kind: k.name,
          name: uniqueName(r, adults),
          phone: targetPhone(),
          address: k.place === 'other' ? address(r) : '',
          visitor: nextOf(k.key, visitors)?.name ?? '',
        }),
      );
    }
  }
  const leaderKind = kinds.find((k) => k.key === 'student-leader');
  const familyKind = kinds.find((k) => k.student && k.place === 'home');
  if (!familyKind) throw new Error('district data needs a home-visit target kind');
  const studentVisitors = leadersOf(DEPARTMENT_OF_KIND['student-leader']!);
  for (let c = 0; c < classCount && out.length < size.targets; c++) {
    const className = classNames[c]!;
    const used = new Set<string>();
    for (let s = 0; s < STUDENTS_PER_CLASS + LEADERS_PER_CLASS && out.length < size.targets; s++) {
      const male = r.chance(0.5);
      const name = uniqueName(r, used, male);
      const kind = leaderKind && s < LEADERS_PER_CLASS ? leaderKind : familyKind;
      const visitor = kind === leaderKind ? nextOf('student-leader', studentVisitors) : nextOf(className, teachersOfClass.get(className)!);
      out.push(
        completeRow('targets', {
          kind: kind.name,
          name,
          className,
          parentName: r.chance(0.5) ? name[0]! + personName(r, true).slice(1) : personName(r, false),
          phone: targetPhone(),
          address: address(r),
          visitor: visitor?.name ?? '',
        }),
      );
    }
  }

  return {
    classes: classNames.map((name) =>
      completeRow('classes', { name, grade: name.match(/(\d)年级/)?.[1] ?? '', studentCount: String(STUDENTS_PER_CLASS + LEADERS_PER_CLASS) }),
    ),
    members: members.map((m) =>
      completeRow('members', {
        name: m.name,
        mobile: m.mobile,
        roles: m.roles.map((x) => ROLE_LABELS[x]).join(LIST_SEPARATOR),
        department: m.department,
        classesTaught: m.classes.join(LIST_SEPARATOR),
        classLed: m.classLed,
      }),
    ),
    targets: out,
  };
}

export const districtSheets = (rows: ReturnType<typeof generateDistrictRoster>): RosterSheet[] =>
  (['classes', 'members', 'targets'] as const).map((k) => sheetFromValues(k, rows[k]));

export interface DistrictSummary {
  people: number;
  targets: number;
  records: number;
  ledgerItems: number;
  /** The admin the benchmark speaks as (/汇总, /催办). */
  adminOpenId: string;
  /** The roster as it was imported, for writing the same district to a workbook. */
  roster: ReturnType<typeof generateDistrictRoster>;
}

const VISIT_DATA = {
  summary: '学生在校表现稳定，与同学相处融洽。',
  situation: '家庭和睦，家长关心孩子学习。',
  purpose: '了解学生在家情况，听取家长意见。',
  content: '与家长交流了孩子近期的学习和生活，介绍了学校的安排。',
  reflection: '家校沟通要常态化。',
  q_satisfaction: '5',
  'q_study-at-home': '较好',
  q_concerns: ['学业', '安全'],
  q_suggestions: '',
  followUp: 'none',
  followUpNote: '',
  noGifts: true,
};

/**
 * The whole district: campaign, roster (through the real import) and a term of
 * visits up to `now`. This month each person has filed at most one visit, so
 * everyone is behind pace mid-month and a chase reaches every teacher.
 */
export async function seedDistrict(db: Db, now: Date, size: DistrictSize = DISTRICT_SIZE, seed = 2): Promise<DistrictSummary> {
  const def = districtCampaign(now);
  await new CampaignRepo(db).save(def);
  const rows = generateDistrictRoster(def, size, seed);
  const report = await importRoster(districtSheets(rows), { db, campaign: def, now, lookup: districtLookup });
  if (!report.applied) throw new Error(`区级名单有误 / district roster rejected:\n${report.problems.slice(0, 10).map(formatProblem).join('\n')}`);
  return seedDistrictVisits(db, def, rows, now, size.records, seed);
}

/**
 * A term of visits up to `now` by the visitors an imported district roster
 * names (`rows`, as generated, or reshaped by a test), written in bulk.
 */
export async function seedDistrictVisits(
  db: Db,
  def: CampaignDefinition,
  rows: ReturnType<typeof generateDistrictRoster>,
  now: Date,
  recordTotal: number,
  seed = 2,
): Promise<DistrictSummary> {
  const r = new Random(mulberry32(seed + 1));
  const everyone = db.select({ id: people.id, name: people.name, mobile: people.mobile, roles: people.roles }).from(people).all();
  const byName = new Map(everyone.map((p) => [p.name, p.id]));
  const targetRows = db.select({ id: targets.id, key: targets.naturalKey, kind: targets.kind }).from(targets).all();
  const targetId = new Map(targetRows.map((t) => [t.key, t]));
  // Whose targets are whose, from the rows just imported.
  const held = new Map<number, Array<{ id: number; kind: string }>>();
  for (const t of rows.targets) {
    const visitor = byName.get(t.visitor!);
    const kindKey = def.targetKinds.find((k) => k.name === t.kind)!.key;
    const stored = targetId.get(t.className ? studentKey(t.className, t.name!) : `${kindKey}:${t.name}`);
    if (!visitor || !stored) continue;
    const mine = held.get(visitor);
    if (mine) mine.push({ id: stored.id, kind: stored.kind });
    else held.set(visitor, [{ id: stored.id, kind: stored.kind }]);
  }
  const visitors = [...held.keys()];
  if (!visitors.length && recordTotal > 0)
    throw new Error(`没有任何走访对象分到了老师：${rows.members.length} 位老师太少 / no target has a visitor: too few teachers`);
  const tz = def.timezone;
  const today = inZone(now, tz).startOf('day');
  const monthStart = today.startOf('month');
  const start = localMidnight(def.window.start, tz);
  const earlierDays = Math.max(1, monthStart.diff(start, 'day'));
  const place = (kind: string) => def.targetKinds.find((k) => k.key === kind)?.place ?? 'home';

  let recordCount = 0;
  let ledgerCount = 0;
  db.transaction((tx) => {
    const thisMonth = new Set<number>();
    for (let i = 0; i < recordTotal; i++) {
      const author = visitors[i % visitors.length]!;
      const mine = held.get(author)!;
      const target = mine[r.int(0, mine.length - 1)]!;
      // Most of the term's visits lie before this month; this month's are one per person at most.
      const recent = !thisMonth.has(author) && r.chance(0.5) && today.diff(monthStart, 'day') > 0;
      if (recent) thisMonth.add(author);
      const day = recent ? monthStart.add(r.int(0, today.diff(monthStart, 'day') - 1), 'day') : start.add(r.int(0, earlierDays - 1), 'day');
      const visitedOn = day.format('YYYY-MM-DD');
      const submittedAt = day.hour(20).toDate();
      const coVisitor = r.chance(0.15) ? visitors[r.int(0, visitors.length - 1)] : undefined;
      const coVisitors = coVisitor && coVisitor !== author ? [coVisitor] : [];
      const opinion = r.chance(0.04) ? '希望学校多组织家长开放日。' : '';
      const data = {
        visitedOn,
        mode: r.chance(0.7) ? 'in-person' : 'phone',
        place: place(target.kind),
        coVisitors: coVisitors.map(String),
        ...VISIT_DATA,
        opinions: opinion,
      };
      const { id } = tx
        .insert(records)
        .values({
          campaignId: def.id,
          form: 'visit',
          subjectType: 'target',
          subjectId: target.id,
          periodKey: null,
          authorId: author,
          occurredOn: visitedOn,
          data,
          ...visitColumns('visit', data),
          submittedAt,
          late: false,
          updatedAt: submittedAt,
          // As the card it came from carried it: made when the teacher opened the form, a while before submitting.
          submissionKey: newSubmissionKey(day.hour(19).toDate()),
        })
        .returning({ id: records.id })
        .get();
      tx.insert(recordVisitors)
        .values([
          { recordId: id, personId: author, role: 'author' as const, occurredOn: visitedOn, targetId: target.id },
          ...coVisitors.map((p) => ({ recordId: id, personId: p, role: 'co-visitor' as const, occurredOn: visitedOn, targetId: target.id })),
        ])
        .run();
      recordCount++;
      if (opinion) {
        // Most opinions raised earlier in the term are closed out; recent ones are still being worked on.
        const closed = !recent && r.chance(0.7);
        const closedAt = closed ? dayjs(submittedAt).add(r.int(1, 30), 'day').toDate() : null;
        tx.insert(ledgerItems)
          .values({
            campaignId: def.id,
            recordId: id,
            source: 'visit',
            raisedBy: 'parent',
            text: opinion,
            category: '家长意见',
            ownerId: author,
            dueOn: day.add(14, 'day').format('YYYY-MM-DD'),
            status: closed ? 'closed' : 'open',
            createdAt: submittedAt,
            updatedAt: closedAt ?? submittedAt,
            resolution: closed ? '已落实并回复家长。' : null,
            resolvedAt: closedAt,
            closedAt,
          })
          .run();
        ledgerCount++;
      }
    }
  });

  const admin = everyone.find((p) => p.roles.includes('admin'));
  return {
    people: everyone.length,
    targets: targetRows.length,
    records: recordCount,
    ledgerItems: ledgerCount,
    adminOpenId: districtOpenId(admin!.mobile!),
    roster: rows,
  };
}
