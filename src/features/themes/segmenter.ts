import { createRequire } from 'node:module';
import type { Jieba } from '@node-rs/jieba';
import { SCHOOL_TERMS, type Segment, type Token } from '../../domain/themes.js';

/**
 * Chinese word segmentation (@node-rs/jieba) with the school's own terms.
 * Its dictionary takes tens of megabytes and a noticeable moment to load, so it
 * is loaded once per process, the first time a theme or a twin is looked for —
 * never at start.
 */

/** How often a school term counts in the dictionary: high enough that jieba keeps it whole. */
const TERM_FREQUENCY = 20_000;

let loaded: Jieba | undefined;

function jieba(): Jieba {
  if (!loaded) {
    // Required here rather than imported at the top: the dictionary module reads its files when loaded.
    const require = createRequire(import.meta.url);
    const { Jieba: J } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict.js') as typeof import('@node-rs/jieba/dict.js');
    loaded = J.withDict(dict);
    loaded.loadDict(Buffer.from(SCHOOL_TERMS.map((t) => `${t} ${TERM_FREQUENCY} n`).join('\n')));
  }
  return loaded;
}

/**
 * Texts read lately, each segmented once: segmentation runs on the event loop, and the same texts come back —
 * the open items every new opinion is checked against, a month's themes asked again from a 查看.
 */
const REMEMBERED = 20_000;
const read = new Map<string, Token[]>();

export const segment: Segment = (text) => {
  let tokens = read.get(text);
  if (!tokens) {
    tokens = jieba().tag(text);
    if (read.size >= REMEMBERED) read.delete(read.keys().next().value!);
    read.set(text, tokens);
  }
  return tokens;
};
