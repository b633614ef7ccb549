import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Jieba } from '@node-rs/jieba';
import { SCHOOL_TERMS, termsOf, type Terms } from '../../domain/themes.js';

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
    const require = createRequire(import.meta.url);
    const { Jieba: J } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    // The dictionary file read here, not through the package's dict.js: that module also reads the 6 MB idf.txt,
    // which segmentation never uses, and keeps both files' 11 MB of buffers for the life of the process.
    loaded = J.withDict(fs.readFileSync(require.resolve('@node-rs/jieba/dict.txt')));
    loaded.loadDict(Buffer.from(SCHOOL_TERMS.map((t) => `${t} ${TERM_FREQUENCY} n`).join('\n')));
  }
  return loaded;
}

/**
 * The theme words of texts read lately, each text segmented once: segmentation runs on the event loop, and the
 * same texts come back — the open items every new opinion is checked against, a month's themes asked again from
 * a 查看. Only the few theme words are kept, not every token with its tag (a tenth of the memory for the same
 * hits), and at most REMEMBERED texts, the oldest forgotten first.
 */
const REMEMBERED = 20_000;
const read = new Map<string, ReadonlySet<string>>();
const tag = (text: string) => jieba().tag(text);

export const themeTerms: Terms = (text) => {
  let terms = read.get(text);
  if (!terms) {
    terms = termsOf(text, tag);
    if (read.size >= REMEMBERED) read.delete(read.keys().next().value!);
    read.set(text, terms);
  }
  return terms;
};
