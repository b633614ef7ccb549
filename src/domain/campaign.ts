import { z } from 'zod';
import { localDate } from './time.js';

/**
 * The campaign definition: everything a school configures about one campaign.
 * Parsed with zod so a bad file names the path and the problem; cross-references
 * (a quota naming an unknown target kind, a phase outside the window) are checked
 * here too, so nothing downstream has to distrust the definition.
 */

/** Whether a YYYY-MM-DD string names a day that exists (2027-02-30 does not). */
const realDate = (s: string) => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
};
// A malformed date aborts the cross-checks below, which would otherwise compare it as text and report nonsense.
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: '日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD', abort: true })
  .refine(realDate, { message: '没有这一天 / no such date', abort: true });
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间格式应为 HH:mm / time must be HH:mm');
const key = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, '只能用小写字母、数字和连字符 / lowercase letters, digits and hyphens only');
/** ISO weekday: 1 = Monday … 7 = Sunday. */
const weekday = z.number().int().min(1).max(7);

export const weeklyMoment = z.object({ weekday, time: hhmm });
export type WeeklyMoment = z.infer<typeof weeklyMoment>;

const dateRange = z.object({ start: isoDate, end: isoDate });
export type DateRange = z.infer<typeof dateRange>;

/** The roles a roster may give a person; a person can hold several. */
export const ROLES = ['admin', 'cadre', 'party-teacher', 'teacher', 'head-teacher', 'leader', 'nominator', 'grade-head'] as const;
export type Role = (typeof ROLES)[number];
export const ROLE_LABELS: Record<Role, string> = {
  admin: '管理员',
  cadre: '党员干部',
  'party-teacher': '党员教师',
  teacher: '教师',
  'head-teacher': '班主任',
  leader: '部门领导',
  nominator: '推荐人',
  'grade-head': '年级组长',
};

/** A task filed once per person before its due date (dorm record, student day, reflection, story). */
const onceTask = z.object({
  enabled: z.boolean().default(false),
  /** Due date; when absent, the end-of-term meeting, else the last day of the window. */
  due: isoDate.optional(),
});

const visitPlace = z.enum(['home', 'enterprise', 'school', 'office', 'other']);

const targetKind = z.object({
  key,
  name: z.string().min(1),
  /** Where a visit to this kind normally happens. */
  place: visitPlace,
  /** Whether a target of this kind is a student (and so belongs to a class). */
  student: z.boolean().default(false),
  /** How many the campaign expects (the seed's numbers); the import warns when the roster differs. */
  expectedCount: z.number().int().positive().optional(),
  /** Why this kind is visited (seed 002's 走访目的 column): the visit record's purpose starts from it. */
  purpose: z.string().min(1).optional(),
});

const targetCategory = z.object({
  key,
  name: z.string().min(1),
  /** The sub-kinds a target may be registered under, e.g. 受过处分学生. */
  subKinds: z.array(z.string().min(1)).default([]),
});

/** Who a quota applies to: holders of a role, members of a department, or both. */
const quotaWho = z
  .object({ role: z.enum(ROLES).optional(), department: z.string().min(1).optional() })
  .refine((w) => w.role || w.department, { message: '需要 role 或 department / give a role or a department' });

const quota = z.object({
  key,
  name: z.string().min(1),
  who: quotaWho,
  /** The kinds of target whose visits count toward it. */
  targetKinds: z.array(key).min(1),
  /** At least this many visits per person and period. */
  min: z.number().int().positive(),
  period: z.enum(['week', 'month', 'term']),
  /** The group must be covered once within this many months (seed 002: 直至两月内走访一遍). */
  coverWithinMonths: z.number().int().positive().optional(),
  /** The quota counts from this date (seed 002's principal's office starts at the end of March). */
  from: isoDate.optional(),
});
export type Quota = z.infer<typeof quota>;

const coverageRule = z.discriminatedUnion('rule', [
  /** Every target of a kind is visited once in each term (seed 002: 本学期所有学生走访一遍). */
  z.object({ rule: z.literal('every-target-once'), key, name: z.string(), targetKind: key }),
  /** At least `min` students per class visited in person (seed 002: 上门家访每班至少2位学生). */
  z.object({ rule: z.literal('in-person-per-class'), key, name: z.string(), targetKind: key, min: z.number().int().positive() }),
  /** Interning classes' students are visited at their enterprise (seed 000: 三年级的实习学生). */
  z.object({ rule: z.literal('interns-at-enterprise'), key, name: z.string(), targetKind: key }),
]);
export type CoverageRule = z.infer<typeof coverageRule>;

const question = z
  .object({
    key,
    label: z.string().min(1),
    type: z.enum(['text', 'single', 'multi', 'rating']),
    options: z.array(z.string().min(1)).optional(),
    required: z.boolean().default(false),
  })
  .refine((q) => !['single', 'multi'].includes(q.type) || (q.options?.length ?? 0) >= 2, {
    path: ['options'],
    message: '选择题至少需要两个选项 / a choice question needs at least two options',
  });

const building = z.object({
  name: z.string().min(1),
  rooms: z.number().int().positive(),
  teachersPerRoom: z.number().int().min(1).max(4),
  residents: z.enum(['male', 'female', 'mixed']).default('mixed'),
});

export const dated = z.object({ date: isoDate, name: z.string().min(1) });

export const campaignDefinitionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, '只能用小写字母、数字和连字符 / lowercase letters, digits and hyphens only'),
    name: z.string().min(1),
    /** The preset this definition was made from, if any (informational). */
    preset: z.string().optional(),
    timezone: z.string().default('Asia/Shanghai'),
    window: dateRange,
    /** School terms inside the window; coverage rules count per term. Empty: the window is one term. */
    terms: z.array(dateRange.extend({ name: z.string().min(1) })).default([]),
    phases: z.array(dateRange.extend({ key, name: z.string().min(1), focus: z.string().optional() })).default([]),
    /** The end-of-term meeting (期末走访汇报会): once-only tasks are due before it. */
    termMeeting: isoDate.optional(),
    branchChatId: z
      .string()
      .regex(/^oc_\w+$/)
      .optional(),
    /** Departments a roster may name; empty allows any. */
    departments: z.array(z.string().min(1)).default([]),
    calendar: z
      .object({
        /** Reminders and nudges are not sent on public holidays (from the chinese-days dataset). */
        skipHolidays: z.boolean().default(true),
        /** The school's own days off, on top of the public ones. */
        extraHolidays: z.array(dated).default([]),
        /** The school's own make-up working days (调休), on top of the public ones. */
        extraWorkdays: z.array(dated).default([]),
      })
      .prefault({}),
    /** No direct message is pushed inside quiet hours; it waits until they end. */
    quietHours: z.object({ start: hhmm, end: hhmm }).default({ start: '21:30', end: '07:30' }),
    reminders: z
      .object({
        at: hhmm.default('09:00'),
        /** Reminders this many days before a due date (T-14, T-7, T-1). */
        daysBefore: z.array(z.number().int().min(1).max(90)).default([14, 7, 1]),
      })
      .prefault({}),
    zoneReport: z
      .object({
        enabled: z.boolean().default(true),
        /** When each owner receives the week's card (default Friday 16:00). */
        pushAt: weeklyMoment.default({ weekday: 5, time: '16:00' }),
        /** Due in the following week (default Monday 09:00): reminders and the overdue list go out then. */
        dueAt: weeklyMoment.default({ weekday: 1, time: '09:00' }),
      })
      .prefault({}),
    tasks: z
      .object({
        dormCheck: z.object({ enabled: z.boolean().default(false), pushAt: weeklyMoment.default({ weekday: 3, time: '16:00' }) }).prefault({}),
        dormRecord: onceTask.prefault({}),
        studentDay: onceTask.extend({ times: z.number().int().positive().default(1) }).prefault({}),
        visits: z
          .object({
            enabled: z.boolean().default(false),
            photosRequired: z.boolean().default(true),
            /** The paper the visit card reproduces: seed 000's 附件五, or seed 002's own 大走访情况记录表. */
            recordForm: z.enum(['annex-5', 'da-zoufang']).default('annex-5'),
          })
          .prefault({}),
        suggestions: z
          .object({
            enabled: z.boolean().default(false),
            window: dateRange.optional(),
            /** Who takes part (seed 002: 校级领导、党员、中层、年级组长); empty: everyone on the roster. */
            roles: z.array(z.enum(ROLES)).default([]),
          })
          .prefault({}),
        reflection: onceTask.prefault({}),
        story: onceTask.prefault({}),
        ledger: z.object({ enabled: z.boolean().default(false) }).prefault({}),
      })
      .prefault({}),
    dorms: z.object({ buildings: z.array(building).default([]) }).prefault({}),
    targetKinds: z.array(targetKind).default([{ key: 'student-family', name: '学生家庭', place: 'home', student: true }]),
    targetCategories: z.array(targetCategory).default([]),
    claiming: z
      .object({
        enabled: z.boolean().default(false),
        /** Who may claim targets. */
        role: z.enum(ROLES).default('party-teacher'),
        /** How many targets each claimer takes (seed 000: 认领10位对象). */
        quota: z.number().int().positive().default(10),
        /** Nominations from this role wait for an admin's confirmation before anyone can claim them. */
        nominatorRole: z.enum(ROLES).default('nominator'),
      })
      .prefault({}),
    /**
     * Seed 002: 家访要做到由班主任与副班主任、任课教师统筹安排 — no one assigns students. A student
     * target is shared by its class's head teacher, deputy and subject teachers, and a group in a
     * department's quota by that department's members; any of them may file. Off: each target has
     * the visitor an import, a claim or an admin gave it (seed 000).
     */
    sharedTargets: z.boolean().default(false),
    quotas: z.array(quota).default([]),
    coverage: z.array(coverageRule).default([]),
    /** 附件四 走访问卷: the seed leaves the questions to the school. */
    questionnaire: z.array(question).default([]),
    digest: z
      .object({
        /** The weekly digest to the branch group, about the week before (default Monday 09:00). */
        weeklyAt: weeklyMoment.default({ weekday: 1, time: '09:00' }),
      })
      .prefault({}),
    privacy: z
      .object({
        /** Whether group messages may name overdue teachers or only count them. */
        overdueInGroup: z.enum(['names', 'counts']).default('names'),
      })
      .prefault({}),
  })
  .superRefine((d, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const inWindow = (date: string) => date >= d.window.start && date <= d.window.end;
    if (d.window.start > d.window.end) problem(['window', 'end'], '结束日期早于开始日期 / end is before start');
    if (!(Intl.supportedValuesOf('timeZone').includes(d.timezone) || d.timezone === 'UTC')) problem(['timezone'], '未知时区 / unknown time zone');

    const ranges: Array<[string, { start: string; end: string }[]]> = [
      ['terms', d.terms],
      ['phases', d.phases],
    ];
    for (const [name, list] of ranges) {
      list.forEach((r, i) => {
        if (r.start > r.end) problem([name, i, 'end'], '结束日期早于开始日期 / end is before start');
        if (!inWindow(r.start) || !inWindow(r.end)) problem([name, i], `不在活动时间 ${d.window.start}~${d.window.end} 内 / outside the campaign window`);
        const prev = list[i - 1];
        if (prev && r.start <= prev.end) problem([name, i, 'start'], `与上一段重叠 / overlaps the previous one (ends ${prev.end})`);
      });
    }
    if (d.termMeeting && !inWindow(d.termMeeting)) problem(['termMeeting'], '不在活动时间内 / outside the campaign window');
    for (const t of ['dormRecord', 'studentDay', 'reflection', 'story'] as const) {
      const due = d.tasks[t].due;
      if (due && !inWindow(due)) problem(['tasks', t, 'due'], '不在活动时间内 / outside the campaign window');
    }
    const sw = d.tasks.suggestions.window;
    if (sw && (!inWindow(sw.start) || !inWindow(sw.end) || sw.start > sw.end))
      problem(['tasks', 'suggestions', 'window'], '应在活动时间内且开始不晚于结束 / must lie inside the window, start before end');

    const unique = (path: string, keys: string[]) =>
      keys.forEach((k, i) => keys.indexOf(k) !== i && problem([path, i, 'key'], `重复的 key / duplicate key: ${k}`));
    unique(
      'targetKinds',
      d.targetKinds.map((k) => k.key),
    );
    unique(
      'targetCategories',
      d.targetCategories.map((k) => k.key),
    );
    unique(
      'quotas',
      d.quotas.map((k) => k.key),
    );
    unique(
      'phases',
      d.phases.map((k) => k.key),
    );
    unique(
      'questionnaire',
      d.questionnaire.map((k) => k.key),
    );
    d.dorms.buildings.forEach(
      (b, i) =>
        d.dorms.buildings.findIndex((o) => o.name === b.name) !== i && problem(['dorms', 'buildings', i, 'name'], `重复的楼栋 / duplicate building: ${b.name}`),
    );

    const kinds = new Set(d.targetKinds.map((k) => k.key));
    const unknownKind = (k: string) => `未定义的走访对象类型 / unknown target kind "${k}" (defined: ${[...kinds].join(', ')})`;
    d.quotas.forEach((q, i) => {
      q.targetKinds.forEach((k, j) => !kinds.has(k) && problem(['quotas', i, 'targetKinds', j], unknownKind(k)));
      if (q.who.department && d.departments.length && !d.departments.includes(q.who.department)) {
        problem(['quotas', i, 'who', 'department'], `未定义的部门 / unknown department "${q.who.department}"`);
      }
      if (q.from && !inWindow(q.from)) problem(['quotas', i, 'from'], '不在活动时间内 / outside the campaign window');
    });
    d.coverage.forEach((c, i) => {
      if (!kinds.has(c.targetKind)) problem(['coverage', i, 'targetKind'], unknownKind(c.targetKind));
      else if (!d.targetKinds.find((k) => k.key === c.targetKind)!.student && c.rule !== 'every-target-once') {
        problem(['coverage', i, 'targetKind'], '此规则只适用于学生类对象 / this rule applies to student targets only');
      }
    });
    if (d.claiming.enabled && d.targetCategories.length === 0)
      problem(['targetCategories'], '开启认领时需要至少一个对象类别 / claiming needs at least one target category');
  });

export type CampaignDefinition = z.infer<typeof campaignDefinitionSchema>;
/** What a definition file holds before defaults are applied. */
export type CampaignDefinitionInput = z.input<typeof campaignDefinitionSchema>;

export class CampaignDefinitionError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`活动配置有误 / invalid campaign definition (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CampaignDefinitionError';
  }
}

export function parseCampaignDefinition(input: unknown, source = 'campaign'): CampaignDefinition {
  const r = campaignDefinitionSchema.safeParse(input);
  if (!r.success) {
    throw new CampaignDefinitionError(
      source,
      r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return r.data;
}

/** Whether `now` falls on a day of the campaign's window, in the campaign's time zone. */
export function isRunning(d: CampaignDefinition, now: Date): boolean {
  const today = localDate(now, d.timezone);
  return d.window.start <= today && today <= d.window.end;
}

/** The terms coverage counts in; a campaign without terms is one term spanning its window. */
export const termsOf = (d: CampaignDefinition): Array<DateRange & { name: string }> => (d.terms.length ? d.terms : [{ name: d.name, ...d.window }]);
