import fs from 'node:fs';
import path from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { cst } from '../helpers/harness.js';
import { demoOpenId } from '../../src/demo/seed.js';
import { ARTIFACTS, openSimulatorPage, startSimulator, type SimulatorHarness } from './sim-harness.js';
import { zoneReportRows } from '../helpers/zone-reports.js';

/**
 * The simulator end to end in headless Chromium, against the real bot over the
 * long connection: a teacher picks themself, asks for their progress, gets the
 * Friday zone-report card, submits it, and the group sees Monday's reminder and
 * the weekly digest with its chart. Every click goes through standIn.clickCard.
 */

/** A 16×16 picture, as a teacher's photo or an image the bot uploads. */
const PNG_16 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAHElEQVR4nGP8z8DwnwEPYBpVMKpgVMGoAuoqAACN9AIfnVeW6wAAAABJRU5ErkJggg==', 'base64');

let sim: SimulatorHarness;
let browser: Browser;
let page: Page;
let pageErrors: string[];

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
const p2p = () => page.locator('#chat-p2p');
const group = () => page.locator('#chat-group');
/** playwright-core has no `expect`; vitest's expect.poll waits the same way. */
const poll = <T>(fn: () => Promise<T>, timeout = 10_000) => expect.poll(fn, { timeout, interval: 50 });
const textOf = async (loc: Locator) => ((await loc.count()) ? loc.innerText() : '');
const attr = async (loc: Locator, name: string) => ((await loc.count()) ? loc.getAttribute(name) : null);
/** The bot's newest card in a pane whose text contains `text`. */
const card = (pane: Locator, text: string) => pane.locator('.msg-bot[data-msg-type="interactive"]', { hasText: text }).last();

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Wednesday of week 1 of the test campaign (11/09–11/15).
  sim = await startSimulator(cst('2026-11-11T10:00:00'));
  ({ browser, page, pageErrors } = await openSimulatorPage(sim, { width: 1440, height: 900 }));
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await sim?.close();
});

describe('the browser chat simulator', { timeout: 30_000 }, () => {
  it('a teacher picks themself and /进度 answers with the progress card', async () => {
    await poll(() => textOf(page.locator('#clock-now'))).toBe('2026-11-11 周三 10:00');
    await page.selectOption('#who', sim.openId('王建国'));
    await poll(() => textOf(page.locator('#who-roles'))).toContain('干部');
    await poll(() => textOf(group().locator('[data-role="title"]'))).toBe('党支部工作群');

    await p2p().locator('[data-role="text"]').fill('/进度');
    await p2p().locator('[data-role="text"]').press('Enter');
    await p2p().locator('.msg-mine .bubble', { hasText: '/进度' }).waitFor();
    const progress = card(p2p(), '我的进度');
    await poll(() => textOf(progress.locator('.fs-header-title'))).toBe('我的进度 · 王建国');
    expect(await progress.innerText()).toContain('教学楼A栋一至三楼');
    await shot('01-progress');
  });

  it('jumping to Friday 16:00 runs the jobs and the zone-report form card arrives', async () => {
    await page.click('[data-jump="friday-16"]');
    await poll(() => textOf(page.locator('#clock-now'))).toBe('2026-11-13 周五 16:00');
    const form = card(p2p(), '环境责任区报表 · 第1周');
    await form.locator('textarea[name="overall_state"]').waitFor();
    expect(await form.locator('.fs-header').getAttribute('class')).toContain('fs-tpl-blue');
    expect(await form.locator('.fs-label', { hasText: '环境责任区总体情况' }).locator('.fs-required').count()).toBe(1);
    await shot('02-form');
  });

  it('an empty required field is stopped on the client, and a blank one comes back from the bot as an error toast', async () => {
    const form = card(p2p(), '环境责任区报表 · 第1周');
    const messageId = await form.getAttribute('data-message-id');
    const callsBefore = sim.standIn.calls().length;

    // Truly empty: the client refuses, like Feishu, and nothing is sent.
    await form.locator('button', { hasText: '提交' }).click();
    await poll(() => form.locator('.fs-field.fs-invalid').count()).toBe(2);
    expect(sim.standIn.calls().length).toBe(callsBefore);

    // Only spaces: the client lets it through, the bot rejects it with an error toast and keeps what was typed.
    await form.locator('textarea[name="overall_state"]').fill('   ');
    await form.locator('textarea[name="student_talks"]').fill('与 3 名学生谈心，了解实习准备情况');
    await form.locator('button', { hasText: '提交' }).click();
    await poll(() => textOf(page.locator('.toast-error').last())).toContain('「环境责任区总体情况」必填');
    const same = p2p().locator(`[data-message-id="${messageId}"]`);
    await same.locator('.fs-md', { hasText: '请修改后再提交' }).waitFor();
    expect(await same.locator('textarea[name="student_talks"]').inputValue()).toBe('与 3 名学生谈心，了解实习准备情况');
    expect(await same.locator('.fs-header').getAttribute('class')).toContain('fs-tpl-red');
    await shot('03-validation-error');
    expect(zoneReportRows(sim.db)).toHaveLength(0);
  });

  it('submitting the form stores it and turns the card read-only in place', async () => {
    const form = card(p2p(), '环境责任区报表 · 第1周');
    const messageId = await form.getAttribute('data-message-id');
    await form.locator('textarea[name="overall_state"]').fill('楼道整洁，垃圾桶按时清理');
    await form.locator('textarea[name="problems"]').fill('二楼东侧灯管损坏');
    await form.locator('button', { hasText: '提交' }).click();
    await poll(() => textOf(page.locator('.toast-success').last())).toContain('提交成功');

    const same = p2p().locator(`[data-message-id="${messageId}"]`);
    await poll(() => textOf(same.locator('.fs-tag'))).toBe('已提交');
    expect(await same.innerText()).toContain('二楼东侧灯管损坏');
    expect(await same.locator('textarea').count()).toBe(0);
    expect(await same.locator('button', { hasText: '修改' }).isVisible()).toBe(true);
    expect(await same.locator('.updated-badge').isVisible()).toBe(true);
    // Replaced in place: still one message for that card.
    expect(await p2p().locator(`[data-message-id="${messageId}"]`).count()).toBe(1);
    await shot('04-submitted');

    const rows = zoneReportRows(sim.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ weekNo: 1, data: { overall_state: '楼道整洁，垃圾桶按时清理', problems: '二楼东侧灯管损坏' }, late: false });
  });

  it('on Monday 09:00 the group shows the overdue message and the weekly digest with a rendered chart', async () => {
    await page.click('[data-jump="monday-09"]');
    await poll(() => textOf(page.locator('#clock-now'))).toBe('2026-11-16 周一 09:00');
    await group().locator('.msg-bot .bubble', { hasText: '已截止：已提交 1/4' }).waitFor();
    await group().locator('.msg-bot .bubble', { hasText: '李秀英、张伟、陈立华' }).waitFor();

    const digest = group()
      .locator('.msg-bot[data-msg-type="interactive"]', { has: page.locator('.fs-chart') })
      .last();
    await poll(() => textOf(digest.locator('.fs-header-title'))).toContain('党支部周报');
    const chart = digest.locator('.fs-chart');
    await poll(() => attr(chart, 'data-rendered'), 15_000).toBe('1');
    expect(await chart.locator('canvas').count()).toBe(1);
    const box = await chart.locator('canvas').boundingBox();
    expect(box?.width).toBeGreaterThan(200);
    expect(box?.height).toBeGreaterThan(100);
    await digest.scrollIntoViewIfNeeded();
    await shot('05-group-digest');
  });

  it('sends a photo, and the call log highlights a rate-limit rejection', async () => {
    await p2p().locator('[data-role="image"]').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: PNG_16 });
    const photo = p2p().locator('.msg-mine img.msg-image').last();
    await photo.waitFor();
    await poll(() => photo.evaluate((img: HTMLImageElement) => img.complete)).toBe(true);
    expect(await photo.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(16);

    await page.click('#toggle-debug');
    await page.locator('#debug').waitFor();
    await page.locator('#calls tr', { hasText: '/open-apis/im/v1/messages' }).first().waitFor();

    sim.standIn.faults.set({ rateLimitNext: 1 });
    await p2p().locator('[data-role="text"]').fill('/帮助');
    await p2p().locator('[data-role="text"]').press('Enter');
    const limited = page.locator('#calls tr.call-limited').first();
    await poll(() => textOf(limited)).toContain('99991400');
    expect(await limited.innerText()).toContain('限流');
    await poll(() => textOf(page.locator('#debug-summary'))).toContain('限流 1');
    // The outbox retries after the 429; the answer still arrives.
    await poll(() => textOf(p2p().locator('.msg-bot').last())).toContain('/进度');
    await shot('06-debug');
    expect(pageErrors).toEqual([]);
  });

  it('the admin’s /导出 arrives as a file bubble that downloads the workbook under its name', async () => {
    await page.selectOption('#who', sim.openId('陈立华'));
    await poll(() => textOf(page.locator('#who-roles'))).toContain('管理员');
    await p2p().locator('[data-role="text"]').fill('/导出');
    await p2p().locator('[data-role="text"]').press('Enter');
    const link = p2p().locator('.msg-bot[data-msg-type="file"] a.msg-file', { hasText: '.xlsx' }).last();
    await link.waitFor({ timeout: 20_000 });
    const name = await link.getAttribute('download');
    expect(name).toMatch(/\.xlsx$/);
    expect(await link.innerText()).toContain(name!);
    const download = await page.request.get(`${sim.url}${await link.getAttribute('href')}`);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(name!)}`);
    await link.scrollIntoViewIfNeeded();
    await shot('07-export-file');
    expect(pageErrors).toEqual([]);
  });
});

describe('the card renderer', { timeout: 30_000 }, () => {
  const fixture = (uploadedImage: string) =>
    JSON.parse(
      fs
        .readFileSync(path.join(import.meta.dirname, 'fixtures/kitchen-sink-card.json'), 'utf8')
        .replace('PARTNER_A', demoOpenId('李秀英'))
        .replace('PARTNER_B', demoOpenId('张伟'))
        .replace('UPLOADED_IMAGE', uploadedImage),
    );

  it('renders every component of a Card JSON 2.0 card and collects form_value like Feishu', async () => {
    const p = await browser.newPage({ viewport: { width: 640, height: 1400 } });
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await p.goto(`${sim.url}/?as=王建国`);
    await p.waitForSelector('body[data-ready="1"]', { state: 'attached' });
    // An image the bot uploaded ("上传图片"), which a card's img element names by its img_key.
    const client = new lark.Client({
      appId: sim.credentials.appId,
      appSecret: sim.credentials.appSecret,
      domain: sim.standIn.baseUrl,
      loggerLevel: lark.LoggerLevel.error,
    });
    const uploaded = await client.im.v1.image.create({ data: { image_type: 'message', image: PNG_16 } });
    // Render the fixture with the page's own renderer; callbacks are recorded instead of sent.
    await p.evaluate(`(async (card) => {
      const { renderCard } = await import('/sim/static/card-renderer.js');
      window.__acts = [];
      const names = { ${JSON.stringify(demoOpenId('李秀英'))}: '李秀英', ${JSON.stringify(demoOpenId('张伟'))}: '张伟' };
      const ctx = {
        userName: (id) => names[id], mentionName: (id) => names[id], utcOffset: '+0800',
        resourceUrl: (key) => '/sim/api/resource/' + encodeURIComponent(key),
        loadChart: () => new Promise((resolve) => {
          const s = document.createElement('script');
          s.src = '/sim/vendor/vchart.js';
          s.onload = () => resolve(window.VChart.VChart ?? window.VChart.default);
          document.head.append(s);
        }),
        act: async (payload) => { window.__acts.push(payload); },
      };
      const host = document.createElement('div');
      host.id = 'fixture';
      host.style.cssText = 'width:560px;padding:16px;background:#f5f6f7';
      host.append(renderCard(card, ctx));
      document.body.replaceChildren(host);
    })(${JSON.stringify(fixture(uploaded!.image_key!))})`);
    const card = p.locator('#fixture .fs-card');

    // Text stays text: no element is ever built from card strings.
    expect(await card.locator('.fs-header-title').innerText()).toBe('组件样例 <b>not bold</b>');
    expect(await card.locator('.fs-header').getAttribute('class')).toContain('fs-tpl-violet');
    expect(await card.locator('.fs-header .fs-tag').allInnerTexts()).toEqual(['演示', '补交']);
    expect(await card.locator('.fs-md img').count()).toBe(0);
    expect(await p.evaluate('window.__xss')).toBeUndefined();
    expect(await card.locator('.fs-md strong').first().innerText()).toBe('加粗');
    expect(await card.locator('.fs-md .md-color').first().getAttribute('style')).toBe('color:#34c724');
    expect(await card.locator('.fs-md li').allInnerTexts()).toEqual(['第一项', '第二项']);
    expect(await card.locator('.fs-div .fs-text').innerText()).toBe('纯文本 <i>不是斜体</i>\n第二行');
    expect(await card.locator('.fs-hr').count()).toBe(1);
    expect(await card.locator('.fs-columns.fs-flex-bisect > .fs-column').count()).toBe(2);
    expect(await card.locator('.fs-panel').getAttribute('open')).toBeNull();
    await card.locator('.fs-panel-header').click();
    expect(await card.locator('.fs-panel-body').innerText()).toBe('折叠面板里的内容');
    await poll(() => textOf(card.locator('.fs-img-missing'))).toContain('走访照片');
    const picture = card.locator('.fs-img img[alt="上传的图片"]');
    await poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(16);
    expect(await card.locator('.fs-size-notation').innerText()).toContain('统计截至');
    await poll(() => attr(card.locator('.fs-chart'), 'data-rendered'), 15_000).toBe('1');
    expect(await card.locator('.fs-chart canvas').count()).toBe(1);

    // The form: defaults shown, required marked, person names resolved.
    const form = card.locator('form.fs-form');
    expect(await form.locator('input[name="title"]').inputValue()).toBe('默认标题');
    expect(await form.locator('input[name="title"]').getAttribute('maxlength')).toBe('20');
    expect(await form.locator('select[name="grade"]').inputValue()).toBe('b');
    expect(await form.locator('input[name="visit_date"]').inputValue()).toBe('2026-11-13');
    expect(await form.locator('select[name="partner"] option').allInnerTexts()).toEqual(['请选择 / Select', '李秀英', '张伟']);

    // A required person left unpicked blocks the submission on the client.
    await form.locator('button', { hasText: '提交' }).click();
    expect(await form.locator('.fs-invalid').count()).toBe(1);
    expect(await p.evaluate('window.__acts.length')).toBe(0);

    await form.locator('input[name="title"]').fill('十一月走访');
    await form.locator('textarea[name="detail"]').fill('第一行\n第二行');
    await form.locator('select[name="grade"]').selectOption('a');
    await form.locator('.fs-multi-option', { hasText: '心理' }).click();
    await form.locator('input[name="visit_date"]').fill('2026-11-20');
    await form.locator('select[name="partner"]').selectOption(demoOpenId('张伟'));
    await form.locator('.fs-checker').click();
    await p.screenshot({ path: path.join(ARTIFACTS, '07-card-components.png'), fullPage: true });
    await form.locator('button', { hasText: '提交' }).click();
    expect(await p.evaluate('window.__acts')).toEqual([
      {
        value: { action: 'sample.submit', n: 1 },
        name: 'submit',
        tag: 'button',
        formValue: {
          title: '十一月走访',
          detail: '第一行\n第二行',
          grade: 'a',
          topics: ['safety', 'mind'],
          visit_date: '2026-11-20 +0800',
          partner: demoOpenId('张伟'),
          confirmed: true,
        },
      },
    ]);

    // Reset puts the defaults back; a button outside the form sends its value alone.
    await form.locator('button', { hasText: '重置' }).click();
    expect(await form.locator('input[name="title"]').inputValue()).toBe('默认标题');
    expect(await form.locator('.fs-multi-option.fs-selected').allInnerTexts()).toEqual(['安全']);
    await card.locator('button', { hasText: '单独的按钮' }).click();
    expect(await p.evaluate('window.__acts[1]')).toEqual({ value: { action: 'sample.alone' }, tag: 'button' });
    await p.close();
    expect(pageErrors).toEqual([]);
  });
});
