import { eq } from 'drizzle-orm';
import { parseCampaignDefinition } from '../../src/domain/campaign.js';
import { DEMO_BRANCH_CHAT_ID, demoLookup } from '../../src/demo/seed.js';
import { importRoster } from '../../src/roster/import.js';
import { sheetFromValues } from '../../src/roster/sheets.js';
import { formatProblem } from '../../src/roster/validate.js';
import { dorms, targets } from '../../src/db/schema.js';
import { cst, startHarness, type Harness, type HarnessOptions } from '../helpers/harness.js';

/**
 * A campaign with every form switched on, the demo cast, one dorm cared for by
 * 刘芳 and 黄志强, and three visit targets (two families, one intern's
 * enterprise) with private family details, imported the way a school does.
 */
export const RECORDS_CAMPAIGN = parseCampaignDefinition({
  id: 'records-term',
  name: '测试学校“微”行动',
  window: { start: '2026-11-09', end: '2027-01-22' },
  termMeeting: '2027-01-15',
  branchChatId: DEMO_BRANCH_CHAT_ID,
  tasks: {
    dormCheck: { enabled: true },
    dormRecord: { enabled: true, due: '2027-01-08' },
    studentDay: { enabled: true },
    visits: { enabled: true, photosRequired: true },
    reflection: { enabled: true },
    story: { enabled: true },
    suggestions: { enabled: true, window: { start: '2026-11-09', end: '2026-12-31' } },
    ledger: { enabled: true },
  },
  dorms: { buildings: [{ name: '7号楼', rooms: 20, teachersPerRoom: 2 }] },
  targetKinds: [
    { key: 'student-family', name: '学生家庭', place: 'home', student: true },
    { key: 'intern', name: '实习学生', place: 'enterprise', student: true },
  ],
  targetCategories: [{ key: 'care', name: '送爱上门', subKinds: ['留守学生'] }],
  questionnaire: [
    { key: 'satisfaction', label: '您对学校工作的总体满意度', type: 'rating', required: true },
    { key: 'concern', label: '您最关心孩子哪些方面', type: 'multi', options: ['学习', '安全', '就业'] },
  ],
});

/** Private details that must never reach a group, a log line, or anyone but the visitors and admins. */
export const PRIVATE = { parent: '孙大伟', phone: '13900001111', address: '黄埔区大沙东路1号', reason: '父母长期在外务工' };

export async function startRecordsHarness(
  at = cst('2026-11-18T10:00:00'),
  transport: 'webhook' | 'ws' = 'webhook',
  standInOptions: HarnessOptions['standInOptions'] = {},
): Promise<Harness> {
  const h = await startHarness({ transport, at, campaign: RECORDS_CAMPAIGN, standInOptions });
  const sheets = [
    sheetFromValues('dorms', [
      {
        building: '7号楼',
        room: '203',
        headName: '赵小明',
        headClass: '2024级机电1班',
        headcount: '6',
        members: '赵小明（2024级机电1班）、钱小亮（2024级机电1班）',
        teachers: '刘芳、黄志强',
      },
    ]),
    sheetFromValues('targets', [
      {
        kind: '学生家庭',
        name: '孙小红',
        className: '2024级机电1班',
        parentName: PRIVATE.parent,
        phone: PRIVATE.phone,
        address: PRIVATE.address,
        category: '送爱上门',
        subKind: '留守学生',
        reason: PRIVATE.reason,
        visitor: '刘芳',
      },
      { kind: '学生家庭', name: '周小刚', className: '2024级机电1班', parentName: '周建', phone: '13900002222', visitor: '黄志强' },
      { kind: '实习学生', name: '吴小强', className: '2024级机电1班', enterprise: '广州某机电设备有限公司', visitor: '刘芳' },
    ]),
  ];
  const report = await importRoster(sheets, { db: h.db, campaign: RECORDS_CAMPAIGN, now: h.clock.now(), lookup: demoLookup });
  if (!report.applied) throw new Error(report.problems.map(formatProblem).join('\n'));
  return h;
}

export const targetId = (h: Harness, name: string) => h.db.select().from(targets).where(eq(targets.name, name)).get()!.id;
export const dormId = (h: Harness) => h.db.select().from(dorms).get()!.id;

/** The newest card in a person's direct chat, as it stands now. */
export const latestCard = (h: Harness, name: string) => {
  const cards = h.cardsTo(name);
  return cards[cards.length - 1]!;
};
export const current = (h: Harness, messageId: string) => h.standIn.messages().find((m) => m.messageId === messageId)!;

/**
 * What a form card asks, in the order the user reads it: each bold heading
 * (a paper cell, a picker's label) and each input's label, without its English.
 */
export function formLabels(card: unknown): string[] {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, any>;
    const bold = o.tag === 'markdown' ? /^\*\*(.+?)\*\*/.exec(String(o.content)) : null;
    if (bold) out.push(bold[1]!);
    if (o.tag === 'input' && o.label) out.push(String(o.label.content).split(' ')[0]!);
    Object.values(o).forEach(walk);
  };
  walk(card);
  return out;
}
