import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Vitest global setup: compiles dist/ once, before any test file runs, when a source changed since the last
 * build — the tests that start the bot or the `zoufang` command as a user would (`npm start`, bin/zoufang.js)
 * run the compiled JavaScript, and would otherwise each find it out of date.
 */
export function setup(): void {
  execFileSync(process.execPath, [path.resolve(import.meta.dirname, '../../scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
}
