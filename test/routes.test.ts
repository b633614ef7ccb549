import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import type { Io } from '../src/ops/io.js';

/** `zoufang routes`: where the code for each command, button and job is, run-time names expanded. */
describe('zoufang routes', () => {
  it('lists every command, card action, menu key and job with the file that registered it', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(l) };
    // No configuration needed: the routes do not depend on the data.
    expect(await runCli(['routes'], {}, { io })).toBe(0);
    expect(err).toEqual([]);
    const rows = out.map((l) => l.split('\t'));
    const row = (kind: string, name: string) => rows.find((r) => r[0] === kind && r[1] === name);
    // Assembled as `${form}.submit` at run time, listed expanded, under the form's own file.
    expect(row('action', 'visit.submit')).toEqual(['action', 'visit.submit', '', 'src/features/forms/visit.ts']);
    expect(row('action', 'ledger.close')?.[3]).toBe('src/features/ledger/index.ts');
    expect(row('action', 'leave.remove')?.[2]).toBe('admin');
    expect(row('command', '/汇总 /summary')).toEqual(['command', '/汇总 /summary', 'admin', 'src/features/digest/index.ts']);
    expect(row('menu', 'visit → /走访')?.[3]).toBe('src/bot/menu.ts');
    // Photos register where media exists; the listing shows what the running bot registers.
    expect(row('message', 'image')?.[3]).toBe('src/features/photos/index.ts');
    expect(row('job', 'zone-report-push')?.[3]).toBe('src/features/forms/index.ts');
    expect(row('job', 'photo-download-retry')?.[3]).toBe('src/features/photos/index.ts');
  });
});
