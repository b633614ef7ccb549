import { describe, expect, it } from 'vitest';
import { cardBytes, closedMarkdown, fitCard } from '../../src/feishu/card-budget.js';
import { oneLine, shortened } from '../../src/feishu/card-templates.js';
import { validateCardContent } from '../../src/sandbox/cards.js';

/** The two ways a long text is kept from sinking a card: cut where it is shown, and the last guard in renderCard. */

describe('shortened', () => {
  it('leaves a text within its limit alone and cuts a longer one with where to read the rest', () => {
    expect(shortened('家校沟通', 4, '/导出')).toBe('家校沟通');
    expect(shortened('家校沟通要常态化', 4, '/导出')).toBe('家校沟通…（全文见 /导出）');
    expect(oneLine('第一行\n第二行', 5)).toBe('第一行 第…');
  });
});

describe('fitCard', () => {
  const card = (rows: string[], defaultValue = '') => ({
    schema: '2.0',
    body: {
      elements: [
        ...rows.map((content) => ({ tag: 'markdown', content })),
        { tag: 'button', text: { tag: 'plain_text', content: '查看' }, behaviors: [{ type: 'callback', value: { note: '值'.repeat(2000) } }] },
        { tag: 'input', name: 'note', max_length: 1000, default_value: defaultValue },
      ],
    },
  });

  it('returns a card inside 30 KB as it is', () => {
    const small = card(['一行', '两行']);
    expect(fitCard(small)).toBe(small);
  });

  it('cuts the longest text of a card over 30 KB just enough, and never a value sent back or a default', () => {
    const names = Array.from({ length: 20 }, (_, i) => `教师${i}`);
    const big = card([...names, '长'.repeat(10_000)], '默'.repeat(1000));
    const fitted = fitCard(big);
    expect(validateCardContent(JSON.stringify(fitted)).ok).toBe(true);
    expect(cardBytes(fitted)).toBeLessThanOrEqual(30 * 1024);
    const contents = fitted.body.elements.map((e) => ('content' in e ? e.content : undefined));
    expect(contents.slice(0, 20)).toEqual(names);
    expect(contents[20]).toMatch(/^长+…$/);
    expect(JSON.stringify(fitted)).toContain('值'.repeat(2000));
    expect(JSON.stringify(fitted)).toContain('默'.repeat(1000));
    // The card handed in is not changed: its blocks may be shared with another card.
    expect(big.body.elements[20]).toEqual({ tag: 'markdown', content: '长'.repeat(10_000) });
  });

  it('measures the card as it travels in the request body, escaped quotes included', () => {
    // Quoted speech in many rows: the escaping alone adds about 2 KB to the body.
    const quoted = card([...Array.from({ length: 150 }, (_, i) => `${i}："${'好'.repeat(30)}"`), '长'.repeat(5_000)]);
    const fitted = fitCard(quoted);
    const body = JSON.stringify({ receive_id: 'ou_'.padEnd(35, '0'), msg_type: 'interactive', content: JSON.stringify(fitted), uuid: 'x'.repeat(50) });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(30 * 1024);
    expect(validateCardContent(JSON.stringify(fitted)).ok).toBe(true);
    expect(cardBytes(fitted)).toBeGreaterThan(Buffer.byteLength(body) - 1);
  });

  it('counts exactly the bytes the card JSON takes as a string in the body, without writing it', () => {
    const envelope = 200;
    const inBody = (c: unknown) => Buffer.byteLength(JSON.stringify(JSON.stringify(c))) + envelope;
    const awkward = {
      schema: '2.0',
      quotes: 'he said "走访" \\ back\\slash',
      controls: 'a\nb\tc\rd\u0001e\u001f\b\f',
      wide: 'é中𠀀😀',
      lone: 'x\ud800y\udc00z',
      numbers: [0, -1.5, 1e21, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 70, 1e-7],
      literals: [true, false, null],
      skipped: { gone: undefined, fn: () => 1, kept: 1 },
      holes: [undefined, () => 1, 'x'],
      when: new Date('2026-12-02T08:00:00Z'),
      nested: [[], {}, [{}], { a: [{ b: '' }] }],
    };
    for (const c of [awkward, card(['一行', '两行']), card([...Array.from({ length: 150 }, (_, i) => `${i}："${'好'.repeat(30)}"`)])])
      expect(cardBytes(c)).toBe(inBody(c));
  });

  it('closes the markup a cut leaves open, and drops a tag cut in half', () => {
    const fitted = fitCard(card([`<font color='red'>**未交 ${'教师、'.repeat(6_000)}**</font>`]));
    const cut = fitted.body.elements[0] as { content: string };
    expect(cut.content).toMatch(/^<font color='red'>\*\*未交 (教师、)+教?师?…\*\*<\/font>$/);
    expect(closedMarkdown("颜色<font color='re…")).toBe('颜色…');
    expect(closedMarkdown('**完整** 文字…')).toBe('**完整** 文字…');
  });
});
