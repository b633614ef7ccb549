import { describe, expect, it } from 'vitest';
import { STOP_WORDS, themesOf, twinOf, type Voice } from '../../src/domain/themes.js';
import { themeTerms } from '../../src/features/themes/segmenter.js';
import { STUDENT_NAME, TOPICS, opinionMonth } from '../fixtures/opinions.js';

/** Real segmentation (jieba with the school's terms) over a generated month whose topics are known. */
describe('家长和师生反映最多的 (themes of a month)', () => {
  const { voices, truth } = opinionMonth();

  it('finds the six recurring topics, most mentioned first, each counted in distinct records with its ledger figures', () => {
    expect(voices.length).toBeGreaterThan(300);
    const themes = themesOf(voices, themeTerms);
    expect(themes.slice(0, TOPICS.length).map((t) => ({ word: t.words[0], mentions: t.mentions, inLedger: t.inLedger, closed: t.closed }))).toEqual(
      TOPICS.map((t) => ({ word: t.word, ...truth.get(t.word) })),
    );
    // Near-duplicates are one theme, and the words said with it describe it.
    expect(themes.find((t) => t.words[0] === '实习')!.words).toEqual(expect.arrayContaining(['实习补贴', '实习工资']));
    expect(themes.find((t) => t.words[0] === '作业')!.words).toContain('作业量');
    expect(themes.find((t) => t.words[0] === '食堂')!.words).toContain('饭菜');
    // Whatever else was said (the noise makes some themes too) ranks below the least mentioned topic.
    const rest = themes.slice(TOPICS.length);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((t) => t.mentions < truth.get('手机')!.mentions)).toBe(true);
  });

  it('lists the records each theme counts, and never counts one twice', () => {
    const canteen = themesOf(voices, themeTerms).find((t) => t.words[0] === '食堂')!;
    expect(new Set(canteen.refs).size).toBe(canteen.mentions);
    for (const ref of canteen.refs) expect(voices.find((v) => v.ref === ref)!.texts.join()).toContain('食堂');
  });

  it('never makes a theme of a name, a stop word or a word fewer than three records say', () => {
    const words = themesOf(voices, themeTerms, { top: 100 }).flatMap((t) => t.words);
    expect(words.join()).not.toContain(STUDENT_NAME);
    expect(words.filter((w) => STOP_WORDS.has(w))).toEqual([]);
    const two: Voice[] = ['校服太贵', '校服质量差'].map((text, i) => ({ ref: `visit:${i}`, texts: [text], ledger: [] }));
    expect(themesOf(two, themeTerms)).toEqual([]);
    expect(themesOf([...two, { ref: 'visit:9', texts: ['校服尺码不全'], ledger: [] }], themeTerms).map((t) => [t.words[0], t.mentions])).toEqual([['校服', 3]]);
  });

  it('gives the same themes for the same texts in any order', () => {
    const counts = (vs: Voice[]) => themesOf(vs, themeTerms).map((t) => [t.words, t.mentions, t.inLedger, t.closed]);
    expect(counts([...voices].reverse())).toEqual(counts(voices));
  });

  it('reads words, not function words', () => {
    expect([...themeTerms('希望学校食堂的饭菜价格能便宜一些')].sort()).toEqual(['价格', '食堂', '饭菜'].sort());
  });
});

describe('twinOf (an opinion that repeats an open ledger item)', () => {
  const open = [
    { id: 12, text: '家长反映学校食堂饭菜价格偏高' },
    { id: 14, text: '校车早上到站太早' },
    { id: 20, text: '食堂饭菜价格太贵，希望降价' },
  ];

  it('matches on shared theme words, the oldest of equals first', () => {
    expect(twinOf('食堂的饭菜价格太高了', open, themeTerms)).toMatchObject({ item: { id: 12 }, shared: expect.arrayContaining(['食堂', '饭菜', '价格']) });
  });

  it('needs two shared words and most of the shorter text', () => {
    expect(twinOf('校车司机态度不好，车上太吵', open, themeTerms)).toBeNull();
    expect(twinOf('食堂卫生需要改进', open, themeTerms)).toBeNull();
    expect(twinOf('晚自习教室太冷', open, themeTerms)).toBeNull();
  });
});
