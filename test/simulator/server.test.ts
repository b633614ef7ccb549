import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_BRANCH_CHAT_ID } from '../../src/demo/seed.js';
import { cst, waitFor } from '../helpers/harness.js';
import { startSimulator, type SimulatorHarness } from './sim-harness.js';

/** The simulator's HTTP side without a browser: state, the event stream, the clock and input checks. */

let sim: SimulatorHarness;
beforeAll(async () => {
  sim = await startSimulator(cst('2026-11-11T10:00:00'));
});
afterAll(async () => {
  await sim?.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Reads Server-Sent Events until `until` holds for the events seen so far. */
async function readEvents(res: Response, until: (events: { event: string; data: any }[]) => boolean, timeoutMs = 5000) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: any }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (!until(events)) {
    if (Date.now() > deadline) throw new Error(`timed out; saw ${events.map((e) => e.event).join(', ')}`);
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe('simulator endpoints', () => {
  it('describes the roster with roles, the group and the sandbox time', async () => {
    const state = await (await fetch(`${sim.url}/sim/api/state`)).json();
    expect(state.now).toBe(cst('2026-11-11T10:00:00').getTime());
    expect(state.timezone).toBe('Asia/Shanghai');
    expect(state.users.find((u: any) => u.name === '陈立华')).toMatchObject({ roles: ['admin', 'party-teacher'], department: '党支部' });
    expect(state.users.find((u: any) => u.name === '王建国').p2pChatId).toBe(sim.standIn.p2pChatId(sim.openId('王建国')));
    expect(state.groups.map((g: any) => g.chatId)).toEqual([DEMO_BRANCH_CHAT_ID]);
    expect(state.jumps.map((j: any) => j.id)).toEqual(['friday-16', 'monday-09', 'month-end']);
    const page = await fetch(`${sim.url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('走访助手');
    expect((await fetch(`${sim.url}/sim/vendor/vchart.js`)).status).toBe(200);
  });

  it('lists every route with the file that registered it, and the page links to the list', async () => {
    const routes = await (await fetch(`${sim.url}/sim/api/routes`)).json();
    expect(routes.actions).toContainEqual(expect.objectContaining({ name: 'visit.submit', source: 'src/features/forms/visit.ts' }));
    expect(routes.commands).toContainEqual(expect.objectContaining({ names: ['/汇总', '/summary'], adminOnly: true, source: 'src/features/digest/index.ts' }));
    expect(routes.jobs).toContainEqual(expect.objectContaining({ name: 'reminders', source: 'src/features/reminders/index.ts' }));
    const page = await (await fetch(`${sim.url}/sim/routes`)).text();
    expect(page).toContain('<td>visit.submit</td>');
    expect(page).toContain('<td>src/features/forms/visit.ts</td>');
    expect(await (await fetch(`${sim.url}/`)).text()).toContain('href="/sim/routes"');
  });

  it('streams what the stand-in records: the user message, the bot reply and the API calls', async () => {
    const stream = await fetch(`${sim.url}/sim/api/events`);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const said = await post('/sim/api/say', { from: sim.openId('王建国'), chatId: sim.standIn.p2pChatId(sim.openId('王建国')), text: '/帮助' });
    expect(said.status).toBe(200);
    // The reply's message event comes while Feishu handles the call; the call's own event once it has answered.
    const replied = (e: { event: string; data: any }) => e.event === 'call' && e.data.path.includes('/reply');
    const events = await readEvents(stream, (ev) => ev.some((e) => e.event === 'message' && e.data.sender.kind === 'app') && ev.some(replied));
    expect(events[0]).toMatchObject({ event: 'clock', data: { now: cst('2026-11-11T10:00:00').getTime() } });
    const messages = events.filter((e) => e.event === 'message').map((e) => e.data);
    expect(messages[0]).toMatchObject({ msgType: 'text', content: { text: '/帮助' }, sender: { kind: 'user', openId: sim.openId('王建国') } });
    expect(messages.at(-1)).toMatchObject({ msgType: 'text', sender: { kind: 'app' } });
    expect(events.find(replied)?.data.code).toBe(0);
  });

  it('a group message reaches the bot only with the @mention the page adds', async () => {
    const r = await post('/sim/api/say', { from: sim.openId('陈立华'), chatId: DEMO_BRANCH_CHAT_ID, text: '/进度', mentionBot: true });
    expect(r.status).toBe(200);
    await sim.bot.settle();
    const inGroup = sim.standIn.messagesIn(DEMO_BRANCH_CHAT_ID);
    expect(inGroup[0]?.content.text).toBe('@_user_1 /进度');
    expect(inGroup.some((m) => m.sender.kind === 'app')).toBe(true);
  });

  it('moves only the sandbox clock, then runs the scheduled jobs at the new time', async () => {
    const stream = await fetch(`${sim.url}/sim/api/events`);
    const r = await post('/sim/api/clock', { jump: 'friday-16' });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ now: cst('2026-11-13T16:00:00').getTime(), ranJobs: true });
    expect(sim.clock.now()).toEqual(cst('2026-11-13T16:00:00'));
    const events = await readEvents(stream, (ev) => ev.filter((e) => e.event === 'clock').length >= 2);
    expect(events.filter((e) => e.event === 'clock').at(-1)?.data.now).toBe(cst('2026-11-13T16:00:00').getTime());
    // The zone-report cards were pushed and delivered before the answer came back.
    const cards = sim.standIn.messages().filter((m) => m.msgType === 'interactive' && JSON.stringify(m.content).includes('环境责任区报表 · 第1周'));
    expect(cards).toHaveLength(4);

    const at = await post('/sim/api/clock', { at: '2026-11-14T08:00:00+08:00' });
    expect((await at.json()).now).toBe(cst('2026-11-14T08:00:00').getTime());
    const bad = await post('/sim/api/clock', { jump: 'yesterday' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toContain('friday-16');
  });

  it('a click on a card sent more than 14 days ago is refused, as Feishu’s client does, and the page is told', async () => {
    // A card of its own, sent now: the refusal does not depend on what earlier tests sent.
    const teacher = sim.openId('王建国');
    await post('/sim/api/say', { from: teacher, chatId: sim.standIn.p2pChatId(teacher), text: '/进度' });
    await sim.bot.settle();
    const card = sim.standIn
      .messagesTo(teacher)
      .filter((m) => m.msgType === 'interactive')
      .at(-1)!;
    // Which button does not matter: the client refuses the click before anything reaches the bot.
    const value = { action: 'progress.open' };
    const sentAt = sim.clock.now().getTime();
    await post('/sim/api/clock', { at: new Date(sentAt + 14 * 24 * 3600_000 + 3600_000).toISOString() });
    const r = await post('/sim/api/click', { messageId: card.messageId, from: teacher, value, formValue: {} });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ refused: 'card-expired', updated: false });
    expect(sim.standIn.messages().find((m) => m.messageId === card.messageId)!.updateCount).toBe(0);
  });

  it('serves what the chat shows: a photo a teacher sent, an image the bot uploaded, the /导出 workbook to download', async () => {
    const resource = (key: string) => fetch(`${sim.url}/sim/api/resource/${encodeURIComponent(key)}`);
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

    // A teacher's photo, sent from the page: shown in the chat bubble.
    const sent = await post('/sim/api/image', {
      from: sim.openId('王建国'),
      chatId: sim.standIn.p2pChatId(sim.openId('王建国')),
      base64: png.toString('base64'),
    });
    expect(sent.status).toBe(200);
    const photo = await resource((await sent.json()).imageKey);
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/png');
    expect(photo.headers.get('x-content-type-options')).toBe('nosniff');
    expect(photo.headers.get('content-disposition')).toBeNull(); // shown in place, not downloaded
    expect(Buffer.from(await photo.arrayBuffer())).toEqual(png);

    // An image the bot uploads ("上传图片"), as a card's img element names it by img_key.
    const client = new lark.Client({
      appId: sim.credentials.appId,
      appSecret: sim.credentials.appSecret,
      domain: sim.standIn.baseUrl,
      loggerLevel: lark.LoggerLevel.error,
    });
    const uploaded = await client.im.v1.image.create({ data: { image_type: 'message', image: png } });
    const image = await resource(uploaded!.image_key!);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer())).toEqual(png);

    // The admin's /导出: the workbook the bot sends downloads under its own (Chinese) name.
    const admin = sim.openId('陈立华');
    const said = await post('/sim/api/say', { from: admin, chatId: sim.standIn.p2pChatId(admin), text: '/导出' });
    expect(said.status).toBe(200);
    const files = async () =>
      ((await (await fetch(`${sim.url}/sim/api/messages?chat_id=${sim.standIn.p2pChatId(admin)}`)).json()) as any[]).filter((m) => m.msgType === 'file');
    await waitFor(async () => (await files()).length > 0, 'the export workbook', 60_000);
    // The page gets the name the file was uploaded under, to show in the file bubble.
    const { file_key: fileKey, file_name: fileName } = (await files())[0].content as { file_key: string; file_name: string };
    expect(fileName).toMatch(/\.xlsx$/);
    expect(fileName).toMatch(/[^\x00-\x7f]/); // the name is Chinese: the header must carry it as UTF-8
    const file = await resource(fileKey);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    const disposition = file.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment;/);
    expect(decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1] ?? '')).toBe(fileName);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK'); // an xlsx is a zip
    expect(bytes).toEqual(sim.standIn.resource(fileKey)!.bytes);
  }, 90_000);

  it('answers bad input with the reason', async () => {
    const noValue = await post('/sim/api/click', { messageId: 'om_x', from: sim.openId('王建国'), value: 'x' });
    expect(noValue.status).toBe(400);
    const unknown = await post('/sim/api/click', { messageId: 'om_unknown', from: sim.openId('王建国'), value: {} });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error).toContain('unknown message');
    const stranger = await post('/sim/api/say', { from: 'ou_nobody', text: 'hi' });
    expect(stranger.status).toBe(400);
    expect((await fetch(`${sim.url}/sim/api/nope`)).status).toBe(404);
    const missing = await fetch(`${sim.url}/sim/api/resource/img_v3_nothing`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toContain('没有这个图片或文件');
    // Keys are names in the stand-in's store, never paths.
    expect((await fetch(`${sim.url}/sim/api/resource/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  it('ends the event streams on close, so the bot can shut down', async () => {
    const stream = await fetch(`${sim.url}/sim/api/events`);
    const reading = readEvents(stream, () => false, 5000).catch((e) => e);
    sim.simulator.close();
    expect(await reading).toBeInstanceOf(Array); // the stream ended instead of timing out
    expect((await fetch(`${sim.url}/sim/api/events`)).status).toBe(503);
  });
});
