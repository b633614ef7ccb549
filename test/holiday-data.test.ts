import { afterEach, describe, expect, it } from 'vitest';
import { CampaignRepo } from '../src/db/repos.js';
import { cst, startHarness, type Harness } from './helpers/harness.js';

/**
 * The admins hear, privately and once, which months of the campaign have no
 * holiday data (the test term runs into January 2027, which chinese-days does
 * not know yet), and how to load them.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const notices = (h: Harness, name: string) => h.textsTo(name).filter((t) => t.includes('节假日与调休还没有数据'));

describe('holiday data missing for a year of the campaign', () => {
  it('from a month before, each admin is told once, privately, which months; nobody else, and no group', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });
    await h.settle();
    // The start-up catch-up ran the job: January is more than a month away.
    expect(notices(h, '陈立华')).toEqual([]);
    h.clock.set(cst('2026-12-01T09:00:00'));
    expect((await h.runJob('holiday-data')).queued).toBe(1);
    const [notice, ...more] = notices(h, '陈立华');
    expect(more).toEqual([]);
    expect(notice).toMatch(/^2027 年的节假日与调休还没有数据（2027-01）/);
    expect(notice).toContain('zoufang calendar load');
    expect(notices(h, '王建国')).toEqual([]);
    expect(h.groupTexts().filter((t) => t.includes('节假日'))).toEqual([]);
    // The next days' runs (and a restart's catch-up) do not repeat it.
    h.clock.set(cst('2026-12-02T09:00:00'));
    expect((await h.runJob('holiday-data')).queued).toBe(0);
    expect(notices(h, '陈立华')).toHaveLength(1);
  });

  it('says nothing once the year is loaded', async () => {
    // Loaded before the notice would fall due, so only the load can keep it quiet.
    h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });
    await h.settle();
    await new CampaignRepo(h.db).saveYear({ year: 2027, holidays: [{ date: '2027-01-01', name: '元旦' }], workdays: [] }, 'test', h.clock.now());
    h.clock.set(cst('2026-12-01T09:00:00'));
    expect(await h.runJob('holiday-data')).toEqual({ queued: 0 });
    expect(notices(h, '陈立华')).toEqual([]);
  });
});
