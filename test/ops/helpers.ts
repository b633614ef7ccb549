import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { Io } from '../../src/ops/io.js';
import { createPrompter, type Prompter } from '../../src/ops/prompt.js';

/** What an operator command printed, as one transcript. */
export function transcript() {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
  return { io, lines, text: () => lines.join('\n') };
}

/** A prompter answered line by line, as when setup's input is piped; what it asked is kept. */
export function piped(...answers: string[]): { prompter: Prompter; asked: () => string } {
  const chunks: string[] = [];
  const output = new Writable({
    write(c, _e, done) {
      chunks.push(String(c));
      done();
    },
  });
  return { prompter: createPrompter(Readable.from(answers.map((a) => `${a}\n`)), output), asked: () => chunks.join('') };
}

export const tmpDir = (prefix = 'zoufang-ops-') => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** The printed line of a check and, for a failure, the fix under it. */
export function checkLines(text: string, title: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /^[✓✗!–] /.test(l) && l.slice(2).startsWith(title));
  if (i === -1) throw new Error(`no check "${title}" in:\n${text}`);
  const out = [lines[i]!];
  for (let j = i + 1; j < lines.length && lines[j]!.startsWith('    '); j++) out.push(lines[j]!);
  return out.join('\n');
}
