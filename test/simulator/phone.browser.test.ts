import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cardText, cst } from '../helpers/harness.js';
import { DEMO_BRANCH_CHAT_ID, demoOpenId } from '../../src/demo/seed.js';
import { monthOn } from '../../src/domain/periods.js';
import { presetDefinition } from '../../src/domain/presets.js';
import { digestCard } from '../../src/features/digest/index.js';
import type { ActiveCampaign } from '../../src/db/repos.js';
import { digestOf } from '../helpers/digest-visits.js';
import { ARTIFACTS, openSimulatorPage, startSimulator, type SimulatorHarness } from './sim-harness.js';

/**
 * The cards people read most, on a phone: 375 px wide, 667 px to the fold
 * (an iPhone SE / 8). Each card the bot sent is drawn by the simulator's own
 * renderer at that width and screenshotted under test-artifacts/simulator.
 */

const PHONE = { width: 375, height: 667 };

let sim: SimulatorHarness;
let browser: Browser;
let page: Page;
let pageErrors: string[];
const poll = <T>(fn: () => T | Promise<T>, timeout = 10_000) => expect.poll(fn, { timeout, interval: 50 });

/** Draws one card alone at the top of the phone's screen, as the chat shows it, and returns its locator. */
async function showOnPhone(card: unknown) {
  await page.evaluate(`(async (card) => {
    const { renderCard } = await import('/sim/static/card-renderer.js');
    const ctx = {
      userName: () => '', mentionName: () => '', utcOffset: '+0800',
      resourceUrl: (key) => '/sim/api/resource/' + encodeURIComponent(key),
      loadChart: () => window.__vchart ??= new Promise((resolve) => {
        const s = document.createElement('script');
        s.src = '/sim/vendor/vchart.js';
        s.onload = () => resolve(window.VChart.VChart ?? window.VChart.default);
        document.head.append(s);
      }),
      act: async () => {},
    };
    const host = document.createElement('div');
    host.id = 'phone';
    host.style.cssText = 'width:375px;box-sizing:border-box;padding:8px;background:#f5f6f7';
    host.append(renderCard(card, ctx));
    document.body.style.margin = '0';
    document.body.replaceChildren(host);
  })(${JSON.stringify(card)})`);
  return page.locator('#phone .fs-card');
}

const botCards = (chat: { chatId?: string; to?: string }) =>
  (chat.chatId ? sim.standIn.messagesIn(chat.chatId) : sim.standIn.messagesTo(chat.to!)).filter((m) => m.msgType === 'interactive' && m.sender.kind === 'app');

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  sim = await startSimulator(cst('2026-11-16T09:00:00'));
  ({ browser, page, pageErrors } = await openSimulatorPage(sim, PHONE, 2));
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await sim?.close();
});

describe('on a phone, 375 px wide', { timeout: 30_000 }, () => {
  it('the weekly digest shows its headline figures above the fold, the detail folded, then the charts', async () => {
    await sim.bot.scheduler.run('digest', cst('2026-11-16T09:00:00'));
    await poll(() => botCards({ chatId: DEMO_BRANCH_CHAT_ID }).length).toBe(1);
    const sent = botCards({ chatId: DEMO_BRANCH_CHAT_ID })[0]!;
    expect(cardText(sent.content)).toContain('党支部周报');

    const card = await showOnPhone(sent.content);
    const figures = card.locator('.fs-body > .fs-columns');
    expect(await figures.count()).toBe(2);
    expect(await figures.allInnerTexts()).toEqual([expect.stringContaining('本周记录（份）'), expect.stringContaining('进度落后或逾期（人）')]);
    // The headline ends inside the first screen.
    const lastFigure = await figures.last().boundingBox();
    expect(lastFigure!.y + lastFigure!.height).toBeLessThanOrEqual(PHONE.height);

    // The detail is folded, below the headline and above the charts.
    const panels = card.locator('.fs-body > .fs-panel');
    expect(await panels.count()).toBeGreaterThanOrEqual(1);
    for (const open of await panels.evaluateAll((ps) => ps.map((p) => (p as HTMLDetailsElement).open))) expect(open).toBe(false);
    const firstPanel = await panels.first().boundingBox();
    expect(firstPanel!.y).toBeGreaterThanOrEqual(lastFigure!.y + lastFigure!.height);
    const chart = card.locator('.fs-chart').first();
    await poll(() => chart.getAttribute('data-rendered'), 15_000).toBe('1');
    const lastPanel = await panels.last().boundingBox();
    expect((await chart.boundingBox())!.y).toBeGreaterThanOrEqual(lastPanel!.y + lastPanel!.height);
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-digest.png'), fullPage: true });

    // Opened, a section shows its lines.
    await panels.first().locator('.fs-panel-header').click();
    await poll(() => panels.first().locator('.fs-panel-body').innerText()).toContain('已提交');
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-digest-open.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("seed 002's monthly digest: one chart for the quotas, one for coverage, with short distinct labels", async () => {
    const def = presetDefinition('三大一实干', { year: 2026 });
    const people = [
      ...['校长室', '学生中心', '发展中心', '课程中心', '服务中心'].map((department, i) => ({
        id: i + 1,
        name: `主任${i + 1}`,
        roles: ['leader'],
        department,
        availability: { leaves: [] },
      })),
      { id: 9, name: '刘芳', roles: ['teacher'], department: null, availability: { leaves: [] } },
    ];
    const targets = [
      { id: 1, kind: 'parent-committee', className: null },
      { id: 2, kind: 'student-family', className: '一(1)班' },
    ];
    const visits = [
      { targetId: 1, targetKind: 'parent-committee', className: null, occurredOn: '2026-11-03', mode: 'in-person', place: 'school', visitorIds: [1] },
    ];
    const d = digestOf({
      def,
      kind: 'monthly',
      period: monthOn(def, '2026-11-15')!,
      asOf: '2026-12-01',
      targets,
      facts: { people, visits, dorms: [], claims: new Map(), claimable: 0, filed: new Set() },
      ledger: { opened: 4, closed: 3, overdue: 1, medianDaysToClose: 5 },
    });
    const c = { def, row: { id: def.id } } as unknown as ActiveCampaign;
    const json = digestCard(c, d, '2026年11月', undefined, cst('2026-12-01T09:00:00')) as { body: { elements: Array<Record<string, any>> } };
    const bars = json.body.elements.filter((e) => e.tag === 'chart').map((e) => e.chart_spec.data[0].values.map((v: { item: string }) => v.item));
    expect(bars).toEqual([
      ['校长室', '学生中心', '发展中心', '课程中心', '服务中心', '教师家访'],
      ['全部走访一遍', '每班上门', '校长室', '学生中心', '发展中心', '课程中心', '服务中心'],
    ]);
    const card = await showOnPhone(json);
    const figures = await card.locator('.fs-body > .fs-columns').last().boundingBox();
    expect(figures!.y + figures!.height).toBeLessThanOrEqual(PHONE.height);
    const charts = card.locator('.fs-chart');
    expect(await charts.count()).toBe(2);
    for (const chart of await charts.all()) await poll(() => chart.getAttribute('data-rendered'), 15_000).toBe('1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-digest-seed002.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('/谁没交 fits the first screen', async () => {
    await sim.standIn.sendText(demoOpenId('陈立华'), '/谁没交');
    await poll(() => botCards({ to: demoOpenId('陈立华') }).filter((m) => /尚未完成|全部按时完成/.test(cardText(m.content))).length).toBe(1);
    const sent = botCards({ to: demoOpenId('陈立华') }).find((m) => /尚未完成|全部按时完成/.test(cardText(m.content)))!;
    const card = await showOnPhone(sent.content);
    const box = await card.boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-behind.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
