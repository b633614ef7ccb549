import { parseCampaignDefinition, type CampaignDefinition, type CampaignDefinitionInput } from '../../src/domain/campaign.js';
import { DEMO_BRANCH_CHAT_ID } from '../../src/demo/seed.js';
import { dayjs, inZone } from '../../src/domain/time.js';
import { cardText, cst, type Harness } from './harness.js';

/**
 * Driving a harness through days of a term: the clock moves to each moment
 * and every scheduled job runs there, as node-cron would trigger them; then
 * the outbox delivers. Reminders are read back from the stand-in as the
 * teacher's client would show them.
 */

/** 07:00 and 22:30 are inside the default quiet hours: nothing may arrive then. */
export const DAY_MOMENTS = ['07:00', '09:00', '16:00', '22:30'];

export async function runAt(h: Harness, at: Date): Promise<void> {
  h.clock.set(at);
  await h.bot.scheduler.runAll(at);
  await h.settle();
}

/**
 * Every day from `from` to `to` (inclusive, local dates) at each of `moments`;
 * `onDay` runs at `actAt` (17:00 unless given), when people act on the day's cards.
 */
export async function tickDays(
  h: Harness,
  from: string,
  to: string,
  moments = DAY_MOMENTS,
  onDay?: (day: string) => Promise<void>,
  actAt = '17:00',
): Promise<void> {
  for (let d = dayjs(from); d.format('YYYY-MM-DD') <= to; d = d.add(1, 'day')) {
    const day = d.format('YYYY-MM-DD');
    let acted = !onDay;
    for (const m of moments) {
      if (!acted && m > actAt) {
        h.clock.set(cst(`${day}T${actAt}:00`));
        await onDay!(day);
        await h.settle();
        acted = true;
      }
      await runAt(h, cst(`${day}T${m}:00`));
    }
    if (!acted) {
      h.clock.set(cst(`${day}T${actAt}:00`));
      await onDay!(day);
      await h.settle();
    }
  }
}

export interface Received {
  title: string;
  text: string;
  /** Local date and time it arrived. */
  day: string;
  time: string;
  messageId: string;
  content: any;
}

/** Cards the bot sent a person, oldest first, with the local moment each arrived. */
export function cardsReceived(h: Harness, name: string): Received[] {
  return h.cardsTo(name).map((m) => {
    const at = inZone(m.createTime, 'Asia/Shanghai');
    return {
      title: String(m.content?.header?.title?.content ?? ''),
      text: cardText(m.content),
      day: at.format('YYYY-MM-DD'),
      time: at.format('HH:mm'),
      messageId: m.messageId,
      content: m.content,
    };
  });
}

/** Reminder cards whose title mentions `what`, as `day title` lines — easy to compare with a hand-made list. */
export const remindersAbout = (h: Harness, name: string, what: string): string[] =>
  cardsReceived(h, name)
    .filter((c) => c.title.includes(what))
    .map((c) => `${c.day} ${c.title}`);

/**
 * An autumn term whose reflection and story are due at the end-of-term meeting on
 * Friday 25 December 2026, with no zone reports; `overrides` adds what a test watches.
 */
export function autumnTerm(overrides: Partial<CampaignDefinitionInput> = {}, visits = false): CampaignDefinition {
  return parseCampaignDefinition({
    id: 'autumn-2026',
    name: '秋季学期“微”行动',
    window: { start: '2026-09-01', end: '2026-12-31' },
    termMeeting: '2026-12-25',
    branchChatId: DEMO_BRANCH_CHAT_ID,
    zoneReport: { enabled: false },
    tasks: { reflection: { enabled: true }, story: { enabled: true }, visits: { enabled: visits } },
    targetKinds: [{ key: 'student-family', name: '学生家庭', place: 'home', student: true }],
    ...overrides,
  });
}
