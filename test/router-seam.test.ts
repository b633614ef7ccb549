import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { FEATURES } from '../src/app.js';
import { zones } from '../src/db/schema.js';
import { assemble } from '../src/features/feature.js';
import { ledgerFeature } from '../src/features/ledger/index.js';
import { CampaignRepo, PeopleRepo } from '../src/db/repos.js';
import { createLogger } from '../src/logger.js';
import { buttonValue, cardText, cst } from './helpers/harness.js';
import { routerHarness, type RouterSeam } from './helpers/router-harness.js';
import { zoneReportRows } from './helpers/zone-reports.js';

/**
 * Handlers at unit speed: commands and clicks straight to the real router and
 * features on a real SQLite file (test/helpers/router-harness.ts). The
 * refusals are the router's own, one wording each, whatever the route.
 */

let seam: RouterSeam;
afterEach(() => seam?.close());

const STRANGER = 'ou_not_on_the_roster';

describe('the router answers what a route needs before its handler runs', () => {
  it("needs: 'person' — someone not on the roster is told so, for a command and a card click alike", async () => {
    seam = await routerHarness({ at: cst('2026-11-11T10:00:00') });
    const [reply] = await seam.command('/进度', { as: STRANGER });
    expect(reply?.text).toContain('你还不在本次活动的名单中');
    const click = await seam.click({ action: 'ledger.list', q: '', offset: 0 }, { as: STRANGER });
    expect(click.toast).toMatchObject({ type: 'error', content: expect.stringContaining('你还不在本次活动的名单中') });
  });

  it('adminOnly — a teacher is refused /汇总 and an admin-only button in one wording', async () => {
    seam = await routerHarness({ at: cst('2026-11-11T10:00:00') });
    const [reply] = await seam.command('/汇总', { as: '王建国' });
    expect(reply?.text).toContain('/汇总 仅限党支部管理员使用');
    const click = await seam.click({ action: 'leave.page', offset: 0 }, { as: '王建国' });
    expect(click.toast).toMatchObject({ type: 'error', content: '仅限党支部管理员使用。' });
    const [allowed] = await seam.command('/请假', { as: '陈立华' });
    expect(cardText(allowed?.card)).toContain('请假');
  });

  it("needs: 'campaign' — with no campaign at all, a rostered teacher hears there is none", async () => {
    seam = await routerHarness({ at: cst('2026-11-11T10:00:00') });
    // The people stay; the campaign goes (its assignments with it).
    seam.db.$client.pragma('foreign_keys = OFF');
    seam.db.$client.exec('delete from campaigns');
    const [reply] = await seam.command('/走访', { as: '王建国' });
    expect(reply?.text).toBe('目前没有进行中的活动。\nNo campaign is running.');
    const [ledger] = await seam.command('/台账', { as: '王建国' });
    expect(ledger?.text).toContain('目前没有进行中的活动');
  });
});

describe('a handler through the seam', () => {
  it('a zone report submitted stores its row, raises the problem and announces it to its owner', async () => {
    seam = await routerHarness({ at: cst('2026-11-13T17:00:00') });
    const zoneId = seam.db.select().from(zones).where(eq(zones.name, '教学楼A栋一至三楼')).get()!.id;
    const opened = await seam.click({ action: 'zone-report.open', campaignId: 'test-term', zoneId, weekNo: 1 }, { as: '王建国' });
    const form = { overall_state: '楼道整洁', student_talks: '与 3 名学生谈心', problems: '二楼东侧灯管损坏', remarks: '' };
    const saved = await seam.click(buttonValue(opened.card?.data, '提交'), { as: '王建国', form });
    expect(saved.toast?.content).toBe('提交成功，谢谢！已列入台账 1 项。');
    expect(zoneReportRows(seam.db)).toMatchObject([{ weekNo: 1, data: { problems: '二楼东侧灯管损坏' }, late: false }]);
    // Raising always announces: the ledger card went to the owner.
    expect(seam.sent.some((m) => m.card && cardText(m.card).includes('教学楼A栋一至三楼（第1周）：二楼东侧灯管损坏'))).toBe(true);
  });
});

describe('the feature list', () => {
  it('fails at start when a feature needs what none provides: records without the ledger would raise items nobody announces', async () => {
    seam = await routerHarness({ at: cst('2026-11-11T10:00:00') });
    const deps = {
      db: seam.db,
      clock: seam.clock,
      log: createLogger('silent'),
      people: new PeopleRepo(seam.db),
      campaigns: new CampaignRepo(seam.db),
      send: async () => 0,
    };
    expect(() =>
      assemble(
        FEATURES.filter((f) => f !== ledgerFeature),
        deps,
      ),
    ).toThrow(/forms needs announceLedger/);
    expect(() => assemble(FEATURES, deps)).not.toThrow();
  });
});
