import { createHash } from 'node:crypto';
import { z } from 'zod';
import { adminOnly, bilingual, isAdmin, type CommandContext, type Routes } from '../../bot/router.js';
import { toast, withCard, type CardReply } from '../../bot/events.js';
import type { ActiveCampaign } from '../../db/repos.js';
import type { Person, RecordRow } from '../../db/schema.js';
import { callbackButton, listRow, renderCard, shortened, shortName } from '../../feishu/card-templates.js';
import { UserFacingError } from '../../feishu/errors.js';
import { formatDue, formatLocal } from '../../domain/time.js';
import { termOn } from '../../domain/periods.js';
import { onceTaskDue } from '../../domain/reminders.js';
import { validate } from '../../records/fields.js';
import { RecordRepo } from '../../records/repo.js';
import { recordContext } from './context.js';
import { dormForms } from './dorm.js';
import { today } from './flow.js';
import { personalForms } from './personal.js';
import { targetHeading, visitForm } from './visit.js';
import { zoneReportForm } from './zone.js';
import { defineFeature } from '../feature.js';

/**
 * Every form as a card, the weekly zone report (附件二) pushed to its owners,
 * and the commands that open the others: /走访 /visit,
 * /宿舍 /dorm, /体验 /day, /心得 /story, /献计 /suggest. The same commands
 * sit in the bot menu.
 */

/** How many rows one list card shows; the rest are found by name. */
const LIST_LIMIT = 15;

export const formsFeature = defineFeature(
  { name: 'forms', at: import.meta.url, needs: ['announceLedger'], provides: ['openers', 'weeklyGaps', 'refreshRecordCard'] },
  (deps) => {
    const records = new RecordRepo(deps.db);
    const ctx = recordContext(deps, records);
    const dorm = dormForms(deps, records, ctx);
    const personal = personalForms(deps, records, ctx);
    const visit = visitForm(deps, records, ctx);
    const zone = zoneReportForm(deps, records, ctx);
    const flows = [zone.flow, dorm.check, dorm.record, personal.studentDay, personal.reflection, personal.story, personal.suggestion, visit];

    const listCard = (title: string, subtitle: string, sections: object[]) => renderCard('list', { title, subtitle, headerColor: 'blue', sections });

    /** Answers a command with what `run` made: a line of text, or a card (a form opened without a click). */
    async function answer(c: CommandContext<'campaign'>, run: (person: Person, campaign: ActiveCampaign) => Promise<object | string>) {
      const out = await run(c.person, c.campaign);
      return c.reply(typeof out === 'string' ? { text: out } : { card: out });
    }

    /** A form opened from a command: the card the button would have shown. */
    const cardOf = (r: CardReply) => {
      if (!r.card) throw new UserFacingError(r.toast?.content ?? '暂时无法打开。');
      return r.card.data;
    };

    const requireTask = (enabled: boolean, what: string) => {
      if (!enabled) throw new UserFacingError(`本次活动没有“${what}”这一项。`);
    };

    async function visitList(person: Person, campaign: ActiveCampaign, filter: string) {
      const { def } = campaign;
      requireTask(def.tasks.visits.enabled, '走访');
      const mine = (await ctx.visitTargetsOf(def.id, person)).filter((t) => !filter || t.name.includes(filter) || (t.className ?? '').includes(filter));
      if (!mine.length) {
        return filter
          ? `你的走访对象中没有“${filter}”。输入 /走访 查看全部。`
          : `你还没有走访对象。${
              def.claiming.enabled
                ? '输入 /认领 先认领走访对象。'
                : def.sharedTargets
                  ? '本次活动的走访对象按名单分享：任教、担任班主任或副班主任的班级的学生，和所在部门要走访的对象。名单中还没有你的班级或部门，请联系管理员在名单中补上。'
                  : '请联系管理员分配。'
            }\nYou have no visit targets yet.`;
      }
      const done = await ctx.visitsTo(def, person, mine);
      // Not yet visited first: that is where the work is.
      const ordered = [...mine].sort((a, b) => (done.get(a.id) ?? 0) - (done.get(b.id) ?? 0));
      const rows = ordered
        .slice(0, LIST_LIMIT)
        .map((t) =>
          listRow(
            `${targetHeading(def, t)}${done.get(t.id) ? ` · <font color='green'>已走访 ${done.get(t.id)} 次</font>` : ` · <font color='orange'>未走访</font>`}`,
            callbackButton('记录走访', visit.openValue({ campaignId: def.id, targetId: t.id }), 'primary'),
          ),
        );
      const more =
        ordered.length > LIST_LIMIT
          ? [{ tag: 'markdown', content: `还有 ${ordered.length - LIST_LIMIT} 位，输入 /走访 姓名 查找。`, text_size: 'notation' }]
          : [];
      const visited = mine.filter((t) => done.has(t.id)).length;
      return listCard(`我的走访对象 · 已走访 ${visited}/${mine.length}`, `${def.name} / My visit targets`, [...rows, ...more]);
    }

    async function dormList(person: Person, campaign: ActiveCampaign) {
      const { def } = campaign;
      requireTask(def.tasks.dormCheck.enabled || def.tasks.dormRecord.enabled, '关爱一间宿舍');
      const mine = await ctx.dormsHeldBy(def.id, person);
      if (!mine.length) return '你目前没有关爱的宿舍。如有疑问请联系管理员。\nYou care for no dorm in this campaign.';
      const rows = mine.map((d) =>
        listRow(
          `**${d.building}${d.room}**${d.headcount ? `（${d.headcount} 人）` : ''}`,
          ...(def.tasks.dormCheck.enabled ? [callbackButton('本周检查', dorm.check.openValue({ campaignId: def.id, dormId: d.id }), 'primary')] : []),
          ...(def.tasks.dormRecord.enabled ? [callbackButton('附件一记录', dorm.record.openValue({ campaignId: def.id, dormId: d.id }))] : []),
        ),
      );
      return listCard('关爱一间宿舍', `${def.name} / My dorms`, rows);
    }

    /** /心得: each of the two writings, filed (with its title and when) or still owed (by when), and the button to write or open it. */
    async function writingMenu(person: Person, campaign: ActiveCampaign) {
      const { def } = campaign;
      requireTask(def.tasks.reflection.enabled || def.tasks.story.enabled, '心得和感人故事');
      const ref = { campaignId: def.id };
      const term = termOn(def, today(deps, def.timezone));
      const writings = [
        ...(def.tasks.reflection.enabled ? [{ form: 'reflection' as const, name: '心得', flow: personal.reflection, en: 'Reflection' }] : []),
        ...(def.tasks.story.enabled ? [{ form: 'story' as const, name: '感人故事', flow: personal.story, en: 'Story' }] : []),
      ];
      const rows = [];
      for (const w of writings) {
        const filed = await records.forPeriod(def.id, w.form, { type: 'person', id: person.id }, term.key);
        const state = filed
          ? `✅ 已提交「${shortened(String(filed.data.title ?? ''), 30)}」（${formatLocal(filed.updatedAt, def.timezone, 'M月D日')}${filed.revision > 1 ? `，第 ${filed.revision} 版` : ''}）`
          : `⏳ 还没有提交，${formatDue(onceTaskDue(def, w.form, term))} 截止`;
        rows.push(
          listRow(
            `**${w.name}**：${state}`,
            callbackButton(filed ? `查看${w.name} ${w.en}` : `写${w.name} ${w.en}`, w.flow.openValue(ref), filed ? 'default' : 'primary'),
          ),
        );
      }
      return listCard('心得与感人故事', `${def.name} / Reflection and story`, [
        { tag: 'markdown', content: `${person.name}老师，每位党员在期末前上交一份心得、一个感人故事。已提交的可以打开修改。` },
        ...rows,
      ]);
    }

    /** `/献计 <text>` files straight from chat; `/献计` opens the card; admins add `列表` to review. */
    async function suggest(person: Person, campaign: ActiveCampaign, args: string) {
      const { def } = campaign;
      if (args === '列表' || args.toLowerCase() === 'list') {
        if (!isAdmin(person)) throw new UserFacingError(bilingual(adminOnly('/献计 列表')));
        return suggestionList(campaign);
      }
      if (!args) return cardOf(await personal.suggestion.open({ campaignId: def.id }, person));
      personal.suggestionWindowOpen({ campaign }, person);
      const checked = validate(personal.suggestionFields, { topic: '', content: args });
      if (!checked.ok) throw new UserFacingError(checked.problems.map((p) => p.message).join('；'));
      const at = deps.clock.now();
      await records.save({
        campaignId: def.id,
        form: 'suggestion',
        subject: { type: 'person', id: person.id },
        periodKey: null,
        authorId: person.id,
        occurredOn: today(deps, def.timezone),
        data: checked.data,
        at,
        late: false,
      });
      return '谢谢你的建议，已记录！管理员会看到，并可能转入台账跟进。/ Thank you — your suggestion is recorded.';
    }

    async function suggestionList(campaign: ActiveCampaign) {
      const all = await records.ofForm(campaign.def.id, 'suggestion');
      const authors = new Map((await deps.people.all()).map((p) => [p.id, p.name]));
      const promoted = await records.ledgerCount(all.map((r) => r.id));
      const rows = all.slice(0, LIST_LIMIT).map((r) => {
        const topic = String(r.data.topic ?? '');
        const line = `**${shortName(authors.get(r.authorId) ?? '')}** · ${formatLocal(r.submittedAt, campaign.def.timezone, 'M/D')}${topic ? ` · ${topic}` : ''}`;
        return [
          listRow(
            line,
            promoted.has(r.id)
              ? { tag: 'markdown', content: "<font color='green'>已转台账</font>" }
              : callbackButton('转入台账', { action: 'suggestion.promote', recordId: r.id }),
          ),
          { tag: 'div', text: { tag: 'plain_text', content: shortened(String(r.data.content ?? ''), 300, '/导出 的献计表'), text_size: 'notation' } },
        ];
      });
      return listCard(
        `献一计 · 共 ${all.length} 条`,
        `${campaign.def.name} / Suggestions`,
        rows.length ? rows.flat() : [{ tag: 'markdown', content: '还没有人提出建议。' }],
      );
    }

    const flowOf = (form: RecordRow['form']) => flows.find((f) => f.form === form)!;

    /** Updates the record's card where its author last saw it (a photo attached); nothing when it shows something else now. */
    async function refreshCard(recordId: number): Promise<void> {
      const record = await records.get(recordId);
      if (!record?.cardMessageId) return;
      const card = await flowOf(record.form).authorCard(record);
      if (!card) return;
      const version = createHash('sha1').update(JSON.stringify(card)).digest('hex').slice(0, 12);
      await deps.send({ dedupeKey: `record.card:${record.id}:${version}`, to: { patch: record.cardMessageId }, purpose: 'record.card-update', card });
    }

    /** Card values that open each form pre-filled, for reminders and /进度 buttons. */
    const openers = {
      zoneReport: (campaignId: string, zoneId: number, weekNo: number) => zone.flow.openValue({ campaignId, zoneId, weekNo }),
      dormRecord: (campaignId: string, dormId: number) => dorm.record.openValue({ campaignId, dormId }),
      studentDay: (campaignId: string, n: number) => personal.studentDay.openValue({ campaignId, n }),
      reflection: (campaignId: string) => personal.reflection.openValue({ campaignId }),
      story: (campaignId: string) => personal.story.openValue({ campaignId }),
      visits: (campaignId: string) => ({ action: 'visit.list', campaignId }),
      suggestion: (campaignId: string) => personal.suggestion.openValue({ campaignId }),
      suggestionList: (campaignId: string) => ({ action: 'suggestion.list', campaignId }),
      /** A filed visit, opened to change it; photos sent meanwhile attach to it. */
      visitRecord: (recordId: number) => ({ action: 'visit.edit', recordId }),
      plannedVisit: (campaignId: string, targetId: number, planId: number) => visit.openValue({ campaignId, targetId, planId }),
    };

    function register(router: Routes) {
      for (const f of flows) f.register(router);

      // The list /走访 shows, from a reminder's or /进度's button.
      router.action('visit.list', z.object({ campaignId: z.string() }), async ({ value, person }) => {
        const out = await visitList(person, await ctx.campaign(value.campaignId), '');
        return typeof out === 'string' ? toast('info', out) : withCard({}, out);
      });

      // The admin's review of 献一计, from /进度's button (the same list as /献计 列表).
      router.action('suggestion.list', z.object({ campaignId: z.string() }), { adminOnly: true }, async ({ value }) =>
        withCard({}, await suggestionList(await ctx.campaign(value.campaignId))),
      );

      // The record a ledger item came from, opened from the item's card: its visitors and the admins only.
      router.action('record.view', z.object({ recordId: z.number().int().positive() }), async ({ value, person }) => {
        const record = await records.get(value.recordId);
        const visitor = !!record && (await records.isVisitorOf(person.id, record.id));
        if (!record || !(visitor || isAdmin(person)))
          return toast('error', '只有填写这条记录的老师（和同行教师）及党支部管理员可以查看。', 'Only the record’s visitors and admins can open it.');
        return withCard({}, await flowOf(record.form).readCard(record, person, visitor));
      });

      router.action('suggestion.promote', z.object({ recordId: z.number().int().positive() }), { adminOnly: true }, async ({ value, person }) => {
        const record = await records.get(value.recordId);
        if (record?.form !== 'suggestion') return toast('error', '这条建议已不存在。');
        const item = await records.promote(record, person.id, deps.clock.now());
        if (item) await deps.announceLedger([item]);
        const campaign = await ctx.campaign(record.campaignId);
        return withCard(
          item ? toast('success', '已转入台账，由你负责跟进（可在台账中转交）。', 'Added to the ledger.') : toast('info', '这条建议已经在台账中了。'),
          await suggestionList(campaign),
        );
      });

      router
        .command({
          names: ['/走访', '/visit'],
          summary: '记录一次走访 / record a visit',
          needs: 'campaign',
          handler: (c) => answer(c, (p, cam) => visitList(p, cam, c.args)),
        })
        .command({ names: ['/宿舍', '/dorm'], summary: '宿舍检查和记录表 / dorm checklist and record', needs: 'campaign', handler: (c) => answer(c, dormList) })
        .command({
          names: ['/体验', '/day'],
          summary: '做一天中职学生（附件三）/ a day as a student',
          needs: 'campaign',
          handler: (c) =>
            answer(c, async (p, cam) => {
              requireTask(cam.def.tasks.studentDay.enabled, '做一天中职学生');
              return cardOf(await personal.studentDay.open({ campaignId: cam.def.id }, p));
            }),
        })
        .command({
          names: ['/心得', '/story', '/故事', '/reflection'],
          summary: '心得和感人故事 / reflection and story',
          needs: 'campaign',
          handler: (c) => answer(c, writingMenu),
        })
        .command({
          names: ['/献计', '/suggest'],
          summary: '我为学校发展献一计（管理员：/献计 列表 审阅）/ a suggestion for the school; admins: /suggest list',
          needs: 'campaign',
          handler: (c) => answer(c, (p, cam) => suggest(p, cam, c.args)),
        });
    }

    return {
      register,
      jobs: [...zone.jobs, ...dorm.jobs, ...visit.jobs],
      // The roster the visit card's co-visitor and leader choices are ranked from: read once, not in the first submit's wait.
      warm: async () => ctx.warm(),
      provides: { openers, weeklyGaps: [zone.gaps, dorm.gaps], refreshRecordCard: refreshCard },
    };
  },
);
