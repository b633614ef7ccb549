import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptLaunch } from '../../bench/children.js';

/**
 * The bench measures the bot as `npm start` runs it (bench/children.ts); a
 * server runs it through start:prod, the Dockerfile or the systemd unit. All
 * four must give node the same options and malloc the same arenas, or the
 * memory measured is not the memory deployed.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** `NAME=value` settings of a Dockerfile's ENV lines or a unit's Environment= lines. */
function settings(text: string, line: RegExp): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(line)) env[m[1]!] = m[2]!;
  return env;
}

describe('how the bot is started', () => {
  const start = scriptLaunch('start');

  it('start:prod gives node the options and environment npm start does', () => {
    expect(scriptLaunch('start:prod')).toEqual(start);
  });

  it("the Dockerfile's CMD and ENV repeat them", () => {
    const dockerfile = read('Dockerfile');
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd).toEqual(['node', ...start.options, 'dist/main.js']);
    expect(settings(dockerfile, /^ENV (\w+)=(\S+)$/gm)).toMatchObject(start.env);
  });

  it("the systemd unit's ExecStart and Environment repeat them", () => {
    const unit = read('deploy/zoufang.service');
    const exec = /^ExecStart=(\S+) (.*)$/m.exec(unit)!;
    expect(path.basename(exec[1]!)).toBe('node');
    expect(exec[2]!.split(/\s+/)).toEqual([...start.options, 'dist/main.js']);
    expect(settings(unit, /^Environment=(\w+)=(\S+)$/gm)).toMatchObject(start.env);
  });
});
