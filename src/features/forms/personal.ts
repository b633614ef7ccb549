import { z } from 'zod';
import { ROLE_LABELS } from '../../domain/campaign.js';
import { termOn } from '../../domain/periods.js';
import { discussionWindow, takesPartInDiscussion } from '../../domain/shape.js';
import { onceTaskDue } from '../../domain/reminders.js';
import type { Person } from '../../db/schema.js';
import { UserFacingError } from '../../feishu/errors.js';
import { date, lines, text } from '../../records/fields.js';
import type { RecordRepo } from '../../records/repo.js';

import { endOfDay, type RecordContext } from './context.js';
import { dayOutside, formFlow, today, type FormDeps, type FormView } from './flow.js';

/**
 * The forms a teacher files about themself: the student day (附件三), the
 * reflection and the story (心得, 感人故事), and suggestions (献一计).
 */

const personRef = z.object({ campaignId: z.string() });

const self = (person: Person) => ({ type: 'person' as const, id: person.id });

/** 附件三 in the paper's words; the seed's 走进课堂 and 大课间 are asked on their own, under the paper's 其他体验. */
export const OTHER_EXPERIENCE = '其他体验';
export const STUDENT_DAY_FIELDS = [
  date('dayOn', '体验日期', 'Date'),
  text('hygieneDuty', '卫生体验情况', 'Hygiene duty', { required: true, multiline: true, max: 400, hint: '早上准时到校陪学生搞卫生' }),
  text('morningExercise', '课间操体验情况', 'Morning exercise', { required: true, multiline: true, max: 400, hint: '跟学生一样按规定路线排队进场做操' }),
  text('lunch', '就餐体验', 'Lunch', { required: true, multiline: true, max: 400, hint: '中午跟学生一起排队买饭进餐' }),
  text('classroom', '走进课堂', 'A lesson', { multiline: true, max: 400, hint: '选择一节课走进课堂', cell: OTHER_EXPERIENCE }),
  text('bigBreak', '大课间', 'Afternoon activity break', { multiline: true, max: 400, hint: '下午跟学生一起进行大课间', cell: OTHER_EXPERIENCE }),
  text('other', '其他', 'Other', { multiline: true, max: 400, cell: OTHER_EXPERIENCE }),
  text('problems', '发现的问题', 'Problems found', { multiline: true, max: 600 }),
  text('issues', '拟解决的问题', 'Issues to solve', { multiline: true, max: 600, hint: '每行一条，提交后列入台账跟进' }),
];

export function personalForms(deps: FormDeps, records: RecordRepo, ctx: RecordContext) {
  const studentDay = formFlow(deps, records, {
    at: import.meta.url,
    form: 'student-day',
    ref: personRef.extend({ n: z.number().int().positive().optional() }),
    reopenWith: '/体验',
    async view(ref, person, stored) {
      const campaign = await ctx.campaign(ref.campaignId);
      const { def } = campaign;
      const times = def.tasks.studentDay.times;
      // With several student days per term, the form opens the first one not yet filed.
      let n = stored ? Number(stored.periodKey?.split('-')[1]) : ref.n;
      if (!n) {
        n = times;
        for (let k = 1; k <= times; k++)
          if (!(await records.forPeriod(def.id, 'student-day', self(person), `day-${k}`))) {
            n = k;
            break;
          }
      }
      return {
        campaign,
        subject: self(person),
        periodKey: `day-${n}`,
        title: `做一天中职学生 · ${person.name}${times > 1 ? `（第 ${n} 次）` : ''}`,
        subtitle: '附件三 / A day as a student',
        fields: STUDENT_DAY_FIELDS,
        prefill: { dayOn: today(deps, def.timezone) },
        dueAt: endOfDay(onceTaskDue(def, 'studentDay', termOn(def, today(deps, def.timezone))), def.timezone),
        intro: '和学生一起搞卫生、做课间操、排队就餐、走进一节课、参加大课间，以学生的视角看学校，记下发现的问题和拟解决的问题。',
        context: [],
        ref: { campaignId: campaign.row.id, n },
      };
    },
    refOf: (r) => ({ campaignId: r.campaignId, n: Number(r.periodKey?.split('-')[1]) }),
    occurredOn: (data) => String(data.dayOn),
    check: (data, view) =>
      dayOutside(
        'dayOn',
        '体验日期',
        String(data.dayOn),
        { on: view.campaign.def.window.start, what: '活动开始' },
        { on: today(deps, view.campaign.def.timezone), what: '今天' },
      ),
    issues: (data) => lines(data.issues).map((t) => ({ raisedBy: 'teacher' as const, category: 'student-day', text: t })),
  });

  /** 心得 and 感人故事 share a shape: a title and a long text, one per term. */
  function writing(form: 'reflection' | 'story', title: string, en: string) {
    const fields = [
      text('title', '题目', 'Title', { required: true, max: 60 }),
      text('body', '正文', 'Text', { required: true, multiline: true, rows: 8, max: 1000 }),
      text('body2', '正文（续一）', 'Text, continued', { multiline: true, rows: 6, max: 1000, hint: '一个输入框最多 1000 字，写不下可以接着写' }),
      text('body3', '正文（续二）', 'Text, continued', { multiline: true, rows: 6, max: 1000 }),
    ];
    return formFlow(deps, records, {
      at: import.meta.url,
      form,
      ref: personRef,
      reopenWith: '/心得',
      async view(ref, person): Promise<FormView> {
        const campaign = await ctx.campaign(ref.campaignId);
        const { def } = campaign;
        const term = termOn(def, today(deps, def.timezone));
        return {
          campaign,
          subject: self(person),
          periodKey: term.key,
          title: `${title} · ${person.name}`,
          subtitle: en,
          fields,
          prefill: {},
          dueAt: endOfDay(onceTaskDue(def, form, term), def.timezone),
          intro: def.termMeeting ? `请在期末走访汇报会（${def.termMeeting}）前提交。` : undefined,
          context: [],
          ref: { campaignId: campaign.row.id },
        };
      },
      refOf: (r) => ({ campaignId: r.campaignId }),
    });
  }

  const suggestionFields = [
    text('topic', '方面', 'Area', { max: 40, hint: '如 教学、德育、后勤、家校合作' }),
    text('content', '我的建议', 'My suggestion', { required: true, multiline: true, rows: 5, max: 1000 }),
  ];

  /** 献一计 opens only inside the big-discussion window, and only for those the campaign names. */
  function suggestionWindowOpen(view: { campaign: FormView['campaign'] }, person: Person): void {
    const { def } = view.campaign;
    const w = discussionWindow(def);
    const day = today(deps, def.timezone);
    if (!def.tasks.suggestions.enabled) throw new UserFacingError('本次活动没有“献一计”环节。/ This campaign takes no suggestions.');
    if (!takesPartInDiscussion(def, person.roles)) {
      const who = def.tasks.suggestions.roles.filter((r) => r !== 'admin').map((r) => ROLE_LABELS[r]);
      throw new UserFacingError(`“我为学校发展献一计”的参加对象是${who.join('、')}；如需参加，请联系管理员。/ The big discussion is for ${who.join(', ')}.`);
    }
    if (day < w.start || day > w.end)
      throw new UserFacingError(`“我为学校发展献一计”的时间是 ${w.start} 至 ${w.end}。/ Suggestions are open ${w.start} – ${w.end}.`);
  }

  const suggestion = formFlow(deps, records, {
    at: import.meta.url,
    form: 'suggestion',
    ref: personRef,
    repeatable: true,
    async view(ref, person, stored) {
      const campaign = await ctx.campaign(ref.campaignId);
      if (stored && stored.authorId !== person.id) throw new UserFacingError('只能修改自己提出的建议。');
      if (!stored) suggestionWindowOpen({ campaign }, person);
      return {
        campaign,
        subject: self(person),
        periodKey: null,
        title: `我为学校发展献一计 · ${person.name}`,
        subtitle: 'Suggestions for the school',
        fields: suggestionFields,
        prefill: {},
        intro: '一条建议一张卡；管理员会看到，并可以转入台账跟进。',
        context: [],
        ref: { campaignId: campaign.row.id },
      };
    },
    refOf: (r) => ({ campaignId: r.campaignId }),
  });

  return {
    studentDay,
    reflection: writing('reflection', '心得体会', 'Reflection'),
    story: writing('story', '感人故事', 'A moving story'),
    suggestion,
    suggestionFields,
    suggestionWindowOpen,
  };
}
