import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { outbox } from '../../src/db/schema.js';
import { DEMO_BRANCH_CHAT_ID } from '../../src/demo/seed.js';
import { cst, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { zoneReportRows } from '../helpers/zone-reports.js';

/**
 * Graceful stop (what SIGTERM does in main.ts): new events are turned away, a
 * card callback already in flight still gets its answer and its row, and a
 * message queued just before the stop is delivered before the process lets go.
 */

const FORM = { overall_state: '楼道整洁', student_talks: '与 3 名学生谈心', problems: '', remarks: '' };

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('graceful shutdown', () => {
  it('finishes the callback in flight and the queued send, and turns away a click that arrives meanwhile', async () => {
    // Generous callback budgets: the held click must outlast the stop and a second click on a loaded machine.
    h = await startHarness({ transport: 'ws', at: cst('2026-11-13T16:00:00'), standInOptions: { callbackTimeoutMs: 15_000 }, cardBudgetMs: 12_000 });
    await h.runJob('zone-report-push');
    const cardOf = (name: string) => h.cardsTo(name).at(-1)!.messageId;

    // Hold the real handler at its start, so the stop begins while the callback is in flight.
    let entered!: () => void;
    const inFlight = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const router = h.bot.router;
    const handle = router.handleCard.bind(router);
    router.handleCard = async (e) => {
      entered();
      await gate;
      return handle(e);
    };
    const click = h.click('王建国', cardOf('王建国'), '提交', FORM);
    await inFlight;

    // A group message queued just before the stop, whose send Feishu answers slowly.
    h.standIn.faults.set({ slowMs: 300, slowNext: 1 });
    await h.bot.outbox.enqueue({ dedupeKey: 'shutdown-test:notice', to: { chatId: DEMO_BRANCH_CHAT_ID }, purpose: 'test.notice', text: '本周报表已推送' });
    const stopped = h.bot.stop();

    const late = await h.click('李秀英', cardOf('李秀英'), '提交', FORM);
    expect(late.toast?.content).toBe('系统正在重启，请稍后再点一次。');

    release();
    const answer = await click;
    expect(answer.error).toBeUndefined();
    expect(answer.toast?.content).toBe('提交成功，谢谢！');
    await stopped;

    expect(zoneReportRows(h.db).map((r) => r.data.overall_state)).toEqual([FORM.overall_state]);
    expect(h.groupTexts()).toContain('本周报表已推送');
    expect(h.db.select().from(outbox).where(eq(outbox.dedupeKey, 'shutdown-test:notice')).get()?.status).toBe('sent');
    await waitFor(() => h.standIn.connectedClients() === 0, 'the long connection to close');
  });
});
