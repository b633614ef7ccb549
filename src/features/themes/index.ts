import { inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Routes } from '../../bot/router.js';
import { toast, withCard } from '../../bot/events.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { outbox } from '../../db/schema.js';
import { latestPeriodDue } from '../../domain/digest.js';
import { maxDate, minDate, monthsOf } from '../../domain/periods.js';
import { mayNudge } from '../../domain/reminders.js';
import { THEME_DEFAULTS, themesOf, type Theme, type Voice } from '../../domain/themes.js';
import { dayjs, localDate, monthDay } from '../../domain/time.js';
import { pageNav, pageOf } from '../../feishu/card-budget.js';
import { callbackButton, listRow, oneLine, renderCard, reopenNote, shortName } from '../../feishu/card-templates.js';
import { UserFacingError } from '../../feishu/errors.js';
import type { OutboundMessage } from '../../feishu/outbox.js';
import type { Job } from '../../scheduler/job.js';
import { breathe } from '../../breathe.js';
import { VersionedCache } from '../../db/versioned-cache.js';
import { SOURCE_LABELS } from '../ledger/cards.js';
import { dailyTriggers } from '../triggers.js';
import { defineFeature } from '../feature.js';
import { ThemeSources, type VoiceSource } from './repo.js';
import { dictionaryRead, themeTerms } from './segmenter.js';

/**
 * 家长和师生反映最多的 (seed 002's 大走访 "寻计问策"): each month, the themes that
 * recur in visit opinions, suggestions and ledger items, with how many are in
 * the ledger and closed out. Admins only, privately: a theme is counts and
 * words, and the records behind it (one 查看 away) stay with their visitors
 * and the admins. Nothing of it goes to the group.
 */

/** Texts segmented per turn of the event loop. */
const TEXTS_PER_TURN = 200;

/** Records listed per page behind a theme. */
const REFS_PAGE = 15;
const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const span = { campaignId: z.string().max(100), from: DAY, to: DAY };

/** The voices of some days, where each came from, and the themes they share. */
interface Heard {
  voices: Voice[];
  refs: Map<string, VoiceSource>;
  themes: Theme[];
}

export const themesFeature = defineFeature({ name: 'themes', at: import.meta.url, provides: ['familyThemes'] }, (deps) => {
  const sources = new ThemeSources(deps.db);

  // A month's voices with their sources: the month so far and the last month, a few of each, are all an admin reads.
  const said = new VersionedCache<string, Promise<Heard>>(deps.db, ['visits', 'ledger', 'people', 'campaigns'], 5);
  /**
   * What was said in [from, to] and its themes, kept until a record, the
   * ledger or the roster (the authors' names) changes: an admin's /汇总 asked
   * again, or a 查看 behind it, reads and counts nothing again.
   */
  function heard(c: ActiveCampaign, from: string, to: string): Promise<Heard> {
    return said.get(`${c.row.id}:${from}:${to}`, async () => {
      const { voices, sources: refs } = await sources.month(c.row.id, from, to, c.def.timezone);
      await dictionaryRead();
      await breathe(); // a turn between the month's read and its first slice, dictionary read or not
      // Segmentation runs on the event loop: the month's texts a slice at a time (themeTerms keeps them), then the themes.
      const texts = voices.flatMap((v) => [...v.texts, ...v.ledger.map((l) => l.text)]);
      for (let i = 0; i < texts.length; i += TEXTS_PER_TURN) {
        for (const t of texts.slice(i, i + TEXTS_PER_TURN)) themeTerms(t);
        await breathe();
      }
      return { voices, refs, themes: themesOf(voices, themeTerms) };
    });
  }

  async function campaignOf(id: string): Promise<ActiveCampaign> {
    const c = await deps.campaigns.get(id);
    if (!c) throw new UserFacingError('这个活动已不存在。');
    return c;
  }

  /** The themes of [from, to] as a card, or null when nothing was said then. */
  async function themesCard(c: ActiveCampaign, from: string, to: string, label: string): Promise<object | null> {
    const { voices, themes } = await heard(c, from, to);
    if (!voices.length) return null;
    const value = (t: Theme) => ({ action: 'themes.records', campaignId: c.row.id, from, to, word: t.words[0], offset: 0 });
    return renderCard('list', {
      title: `家长和师生反映最多的 · ${label}`,
      subtitle: `${oneLine(c.def.name, 40)} / What families and teachers raised most`,
      headerColor: 'purple',
      sections: [
        {
          tag: 'markdown',
          content: `${monthDay(from)}–${monthDay(to)} 共 ${voices.length} 条记录（走访意见建议、献一计、台账）中反复出现的话题，按提到的记录数排列。仅管理员可见。`,
        },
        ...(themes.length
          ? themes.map((t, i) =>
              listRow(
                `**${i + 1}. ${t.words.join(' · ')}**\n${t.mentions} 条记录提到 · 已列入台账 ${t.inLedger} · 已销号 ${t.closed}`,
                callbackButton('查看 View', value(t)),
              ),
            )
          : [{ tag: 'markdown', content: `没有 ${THEME_DEFAULTS.minMentions} 条以上记录共同提到的话题。` }]),
        {
          tag: 'markdown',
          content: `<font color='grey'>话题由中文分词统计得出，至少 ${THEME_DEFAULTS.minMentions} 条记录提到才列出；原话只有走访教师和管理员能看到。</font>`,
          text_size: 'notation',
        },
        reopenNote('/汇总'),
      ],
    });
  }

  /** A source in a few words, and the button that opens it (the record, or the ledger item), for an admin. */
  function sourceRow(s: VoiceSource) {
    const text = [SOURCE_LABELS[s.form], shortName(s.author), s.on.slice(5)].filter(Boolean).join(' · ');
    const open = s.recordId !== null ? { action: 'record.view', recordId: s.recordId } : { action: 'ledger.view', itemId: s.itemId };
    return listRow(text, callbackButton('查看 View', open));
  }

  /** The records behind one theme: what they are, who filed them and when, each one click from the record itself. */
  async function recordsCard(campaignId: string, from: string, to: string, word: string, offset: number) {
    const c = await campaignOf(campaignId);
    const { themes, refs } = await heard(c, from, to);
    const theme = themes.find((t) => t.words[0] === word);
    if (!theme) return null;
    const rows = theme.refs.map((r) => refs.get(r)!);
    const back = callbackButton('返回 Back', { action: 'themes.show', campaignId, from, to });
    return pageOf(rows, offset, {
      perPage: REFS_PAGE,
      render: (page, at) =>
        renderCard('list', {
          title: `「${theme.words.join(' · ')}」 · ${theme.mentions} 条记录`,
          subtitle: `${monthDay(from)}–${monthDay(to)} / Records on this theme`,
          headerColor: 'purple',
          sections: [
            { tag: 'markdown', content: `已列入台账 ${theme.inLedger} · 已销号 ${theme.closed}。点“查看”打开记录（仅走访教师和管理员可见）。` },
            ...page.map(sourceRow),
            ...pageNav(at, (o) => ({ action: 'themes.records', campaignId, from, to, word, offset: o }), '条'),
            { tag: 'column_set', flex_mode: 'flow', columns: [{ tag: 'column', width: 'auto', elements: [back] }] },
            reopenNote('/汇总'),
          ],
        }),
    });
  }

  /** The month so far, for an admin who asks (/汇总). */
  async function monthSoFar(c: ActiveCampaign, now: Date): Promise<object | null> {
    const today = minDate(localDate(now, c.def.timezone), c.def.window.end);
    if (today < c.def.window.start) return null;
    const from = maxDate(dayjs(today).startOf('month').format('YYYY-MM-DD'), c.def.window.start);
    return themesCard(c, from, today, `${dayjs(today).format('M')}月至今`);
  }

  const monthlyJob: Job = {
    name: 'family-themes',
    description: '每月私信管理员“家长和师生反映最多的”话题 / the month’s recurring themes, to the admins privately',
    triggers: () => dailyTriggers(deps.campaigns, (d) => d.digest.weeklyAt.time),
    async run(now) {
      const messages: OutboundMessage[] = [];
      const admins = (await deps.people.admins()).filter((a) => a.openId);
      for (const c of await deps.campaigns.all()) {
        if (!mayNudge(c.def, now)) continue;
        // Due with the monthly digest: the first working day after the month, at the weekly digest's time.
        const month = latestPeriodDue(c.def, monthsOf(c.def), now);
        if (!month) continue;
        // Once per admin and month. Only a card still owed is computed: the job also runs at every start,
        // which must not wait for the dictionary to load.
        const key = (a: { id: number }) => `themes.monthly:${c.row.id}:${month.key}:${a.id}`;
        const queued = new Set(
          admins.length
            ? deps.db
                .select({ key: outbox.dedupeKey })
                .from(outbox)
                .where(inArray(outbox.dedupeKey, admins.map(key)))
                .all()
                .map((r) => r.key)
            : [],
        );
        const owed = admins.filter((a) => !queued.has(key(a)));
        const card = owed.length ? await themesCard(c, month.start, month.end, dayjs(month.start).format('YYYY年M月')) : null;
        if (!card) continue;
        for (const a of owed) messages.push({ dedupeKey: key(a), to: { openId: a.openId! }, purpose: 'themes.monthly', card });
        deps.log.info({ campaignId: c.row.id, month: month.key, admins: owed.length }, 'family themes sent to admins');
      }
      return { queued: await deps.send(messages) };
    },
  };

  function register(router: Routes) {
    router.action('themes.show', z.object({ action: z.literal('themes.show'), ...span }), { adminOnly: true }, async ({ value }) => {
      const c = await campaignOf(value.campaignId);
      const card = await themesCard(c, value.from, value.to, `${monthDay(value.from)}–${monthDay(value.to)}`);
      return card ? withCard({}, card) : toast('info', '这段时间没有记录。');
    });
    router.action(
      'themes.records',
      z.object({ action: z.literal('themes.records'), ...span, word: z.string().max(50), offset: z.number().int().min(0) }),
      { adminOnly: true },
      async ({ value }) => {
        const card = await recordsCard(value.campaignId, value.from, value.to, value.word, value.offset);
        return card ? withCard({}, card) : toast('info', '这个话题已不在前列，请发送 /汇总 查看最新的话题。');
      },
    );
  }

  return { register, jobs: [monthlyJob], provides: { familyThemes: monthSoFar } };
});
