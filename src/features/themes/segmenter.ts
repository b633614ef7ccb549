import fs from 'node:fs';
import { createRequire } from 'node:module';
import { SCHOOL_TERMS, type Segment, termsOf, type Terms } from '../../domain/themes.js';
import { Dictionary } from './dictionary.js';
import { tagWords } from './tagger.js';
import { breathe } from '../../breathe.js';

/**
 * Chinese word segmentation with the school's own terms: jieba's algorithm and dictionary, in this process's own
 * code (tagger.ts). The bot never loads @node-rs/jieba's native addon: its dictionary, in memory as a trie of
 * records, added about 47 MB to the bot; its words kept in one buffer (dictionary.ts) take about 6.5 MB. The package stays a
 * dependency for its dict.txt, and the tests check against its tag() that the words and tags are the same.
 * Loaded once per process, the first time a theme or a twin is looked for — never at start — a slice at a time
 * (dictionaryRead).
 */

/** How often a school term counts in the dictionary: high enough that jieba keeps it whole. */
const TERM_FREQUENCY = 20_000;

/**
 * Lines of the dictionary read per turn of the event loop by `dictionaryRead`: 0.3–0.5 ms each once compiled, the
 * first few (not yet) 4–8. Ten thousand a turn took 1.5–2 ms, but the first 13–22 ms, and in the district bench,
 * V8 sized for memory, the first /汇总's themes held the loop some 60 ms.
 */
const LINES_PER_TURN = 2_000;

let opened: Dictionary | undefined;
let complete = false;
let reading: Promise<void> | undefined;

const dictionaryPath = () => createRequire(import.meta.url).resolve('@node-rs/jieba/dict.txt');

function dictionaryFile(): Dictionary {
  opened ??= new Dictionary(fs.readFileSync(dictionaryPath()));
  return opened;
}

/** The dictionary with the school's terms, what is left of the file read at once. */
function dictionary(): Dictionary {
  const d = dictionaryFile();
  if (!complete) {
    d.read();
    d.addWords(SCHOOL_TERMS.map((word) => ({ word, freq: TERM_FREQUENCY, tag: 'n' })));
    complete = true;
  }
  return d;
}

/**
 * Resolves once the dictionary is read, reading it a slice at a time with a pause between: what segments in an
 * answer (the month's themes, the ledger's twin check) waits for this first, so that the first one after a start
 * does not hold every other request for the tenth of a second the whole file takes.
 */
export function dictionaryRead(): Promise<void> {
  reading ??= (async () => {
    // The file's 5 MB read off the event loop: read at once, with the first slice of lines, it held the loop 60 ms.
    // (A segmentation that could not wait, tag, may have opened it meanwhile.)
    if (!opened) {
      const file = await fs.promises.readFile(dictionaryPath());
      opened ??= new Dictionary(file);
    }
    const d = dictionaryFile();
    while (!complete && !d.read(LINES_PER_TURN)) await breathe();
    dictionary();
  })();
  return reading;
}

/** The words of a text with their parts of speech, as jieba's tag(text) gives them. */
export const tag: Segment = (text) => tagWords(dictionary(), text);

/**
 * The theme words of texts read lately, each text segmented once: segmentation runs on the event loop, and the
 * same texts come back — the open items every new opinion is checked against, a month's themes asked again from
 * a 查看. Only the few theme words are kept, not every token with its tag (a tenth of the memory for the same
 * hits), and at most REMEMBERED texts, the oldest forgotten first.
 */
const REMEMBERED = 20_000;
const read = new Map<string, ReadonlySet<string>>();

export const themeTerms: Terms = (text) => {
  let terms = read.get(text);
  if (!terms) {
    terms = termsOf(text, tag);
    if (read.size >= REMEMBERED) read.delete(read.keys().next().value!);
    read.set(text, terms);
  }
  return terms;
};
