import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { validateCard } from '../../src/sandbox/cards.js';
import { ALICE, apiError, sdkClient, startStandIn } from './helpers.js';

const md = (content: string) => ({ tag: 'markdown', content });
const card2 = (elements: unknown[], extra: Record<string, unknown> = {}) => ({
  schema: '2.0',
  config: { update_multi: true },
  header: { title: { tag: 'plain_text', content: '走访任务' }, template: 'blue' },
  body: { elements },
  ...extra,
});
const form = (elements: unknown[], name = 'visit_form') => ({ tag: 'form', name, elements });
const submit = {
  tag: 'button',
  name: 'submit_btn',
  text: { tag: 'plain_text', content: '提交' },
  form_action_type: 'submit',
  behaviors: [{ type: 'callback', value: { action: 'submit' } }],
};

describe('card validation (unit)', () => {
  it('accepts a sensible 2.0 card with a form', () => {
    const c = card2([md('**hi**'), form([{ tag: 'input', name: 'note' }, submit])]);
    expect(validateCard(c)).toMatchObject({ ok: true, schema: '2.0' });
  });

  it('counts nested elements: 200 ok, 201 → 230099 / 11310', () => {
    const columns = (n: number) => ({
      tag: 'column_set',
      columns: [{ tag: 'column', elements: Array.from({ length: n }, (_, i) => md(`c${i}`)) }],
    });
    // header title (plain_text) + column_set + column + 197 markdown = 200
    expect(validateCard(card2([columns(197)])).ok).toBe(true);
    const r = validateCard(card2([columns(198)]));
    expect(r).toMatchObject({ ok: false, code: 230099 });
    expect(!r.ok && r.msg).toContain('11310');
    expect(!r.ok && r.msg).toContain('element exceeds the limit');
  });

  it('counts text elements too: a button is two (button + its plain_text label), a div with text is two', () => {
    const button = (i: number) => ({ tag: 'button', text: { tag: 'plain_text', content: `b${i}` }, behaviors: [{ type: 'callback', value: { i } }] });
    // header title + 99 × (button + label) = 199: under the limit only because of how few there are.
    expect(validateCard(card2(Array.from({ length: 99 }, (_, i) => button(i)))).ok).toBe(true);
    const buttons = validateCard(card2(Array.from({ length: 100 }, (_, i) => button(i))));
    expect(buttons).toMatchObject({ ok: false, code: 230099 });
    expect(!buttons.ok && buttons.msg).toContain('ErrorValue: 201');
    const div = (i: number) => ({ tag: 'div', text: { tag: 'plain_text', content: `line ${i}` } });
    const subtitle = { title: { tag: 'plain_text', content: 't' }, subtitle: { tag: 'plain_text', content: 's' } };
    const divs = validateCard({ ...card2(Array.from({ length: 100 }, (_, i) => div(i))), header: subtitle });
    expect(!divs.ok && divs.msg).toContain('11310');
  });

  it('enforces the form rules', () => {
    const noSubmit = validateCard(card2([form([{ tag: 'input', name: 'a' }])]));
    expect(noSubmit).toMatchObject({ ok: false, code: 230099 });
    expect(!noSubmit.ok && noSubmit.msg).toContain('submit');
    const dupNames = validateCard(card2([form([{ tag: 'input', name: 'a' }, { tag: 'input', name: 'a' }, submit])]));
    expect(!dupNames.ok && dupNames.msg).toContain('duplicate');
    const noName = validateCard(card2([form([{ tag: 'input' }, submit])]));
    expect(!noName.ok && noName.msg).toContain('200530');
    const panel = (elements: object[]) => ({ tag: 'collapsible_panel', header: { title: { tag: 'markdown', content: '**详情**' } }, elements });
    const nested = validateCard(card2([panel([form([submit])])]));
    expect(!nested.ok && nested.msg).toContain('root');
    // 折叠面板: a header is required.
    expect(validateCard(card2([panel([{ tag: 'markdown', content: 'x' }])])).ok).toBe(true);
    const headless = validateCard(card2([{ tag: 'collapsible_panel', elements: [{ tag: 'markdown', content: 'x' }] }]));
    expect(!headless.ok && headless.msg).toContain('collapsible_panel requires header');
    const legacySubmit = validateCard(card2([form([{ tag: 'button', name: 'b', action_type: 'form_submit' }])]));
    expect(legacySubmit.ok).toBe(true);
  });

  it('rejects tags removed in 2.0 and missing body', () => {
    expect(validateCard(card2([{ tag: 'action', actions: [] }]))).toMatchObject({ ok: false, code: 230099 });
    expect(validateCard({ schema: '2.0' })).toMatchObject({ ok: false, code: 230099 });
    expect(validateCard({ type: 'template', data: { template_id: 'AAq1' } })).toMatchObject({ ok: true, schema: 'template' });
  });
});

describe('interactive messages over HTTP', () => {
  let s: FeishuStandIn;
  let clock = Date.UTC(2025, 2, 1);
  beforeEach(async () => {
    clock = Date.UTC(2025, 2, 1);
    s = await startStandIn({ now: () => clock });
  });
  afterEach(async () => {
    await s.stop();
  });

  const sendCard = (client: ReturnType<typeof sdkClient>, card: unknown) =>
    client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(card) },
    });

  it('rejects 201 elements, a form without submit and content over 30 KB', async () => {
    const client = sdkClient(s);
    const big = await apiError(sendCard(client, card2(Array.from({ length: 201 }, (_, i) => md(`${i}`)))));
    expect([big.status, big.code]).toEqual([400, 230099]);
    expect(big.msg).toContain('11310');
    const noSubmit = await apiError(sendCard(client, card2([form([{ tag: 'input', name: 'x' }])])));
    expect(noSubmit.code).toBe(230099);
    const huge = await apiError(sendCard(client, card2([md('字'.repeat(11_000))])));
    expect(huge.code).toBe(230025);
    expect(s.messages()).toHaveLength(0);
  });

  it('PATCH updates the card in place and keeps the history', async () => {
    const client = sdkClient(s);
    const updates: number[] = [];
    s.on('message-updated', (m) => updates.push(m.updateCount));
    const sent = await sendCard(client, card2([md('v1')]));
    const id = sent.data?.message_id as string;
    clock += 60_000;
    const r = await client.im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(card2([md('v2')])) } });
    expect(r.code).toBe(0);
    const [m] = s.messages();
    expect(m?.updateCount).toBe(1);
    expect(m?.content.body.elements[0].content).toBe('v2');
    expect(m?.contentHistory.map((c) => c.body.elements[0].content)).toEqual(['v1']);
    expect(updates).toEqual([1]);
    // invalid update content is refused and changes nothing
    const bad = await apiError(client.im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(card2([form([])])) } }));
    expect(bad.code).toBe(230099);
    const to1 = await apiError(client.im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify({ elements: [{ tag: 'div' }] }) } }));
    expect(to1.msg).toContain('200830');
    expect(s.messages()[0]?.updateCount).toBe(1);
  });

  it('PATCH enforces the 14-day rule, unknown ids and non-cards', async () => {
    const client = sdkClient(s);
    const id = (await sendCard(client, card2([md('old')]))).data?.message_id as string;
    // Days pass on the stand-in's clock, so tenant tokens expire too: use a fresh client (fresh token) each time.
    clock += 13 * 24 * 3600_000;
    const day13 = await sdkClient(s).im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(card2([md('new')])) } });
    expect(day13.code).toBe(0);
    clock += 2 * 24 * 3600_000;
    const fresh = sdkClient(s);
    const late = await apiError(fresh.im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(card2([md('new')])) } }));
    expect(late.code).toBe(230031);
    expect((await apiError(fresh.im.v1.message.patch({ path: { message_id: 'om_nope' }, data: { content: JSON.stringify(card2([md('x')])) } }))).code).toBe(
      230001,
    );
    const text = await fresh.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'text', content: JSON.stringify({ text: 't' }) },
    });
    const notCard = await apiError(
      fresh.im.v1.message.patch({ path: { message_id: text.data?.message_id as string }, data: { content: JSON.stringify(card2([md('x')])) } }),
    );
    expect(notCard.code).toBe(230001);
  });
});
