import fs from 'node:fs';
import path from 'node:path';
import { PRIVACY_DIR, type PrivacyFinding } from './privacy.js';

/**
 * Vitest global setup: starts the privacy scan's record afresh, and at the end
 * of the whole run fails it unless every harness scanned clean and the scan
 * really covered the suite (many test files, thousands of log lines, group
 * messages) — so it can never pass by having looked at nothing.
 */

export function setup(): void {
  fs.rmSync(PRIVACY_DIR, { recursive: true, force: true });
}

interface Entry {
  testFile: string;
  logLines: number;
  groupMessages: number;
  refusals: number;
  findings: PrivacyFinding[];
}

export function teardown(): void {
  if (!fs.existsSync(PRIVACY_DIR)) return; // a run of tests that start no bot
  const entries: Entry[] = fs
    .readdirSync(PRIVACY_DIR)
    .flatMap((f) => fs.readFileSync(path.join(PRIVACY_DIR, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as Entry);
  const files = new Set(entries.map((e) => e.testFile));
  const logLines = entries.reduce((n, e) => n + e.logLines, 0);
  const groupMessages = entries.reduce((n, e) => n + e.groupMessages, 0);
  const refusals = entries.reduce((n, e) => n + (e.refusals ?? 0), 0);
  const findings = entries.flatMap((e) => e.findings.map((f) => ({ ...f, testFile: e.testFile })));
  const summary = `隐私扫描 / privacy scan: ${entries.length} bots in ${files.size} test files, ${logLines} log lines, ${groupMessages} group messages, ${refusals} refusals, ${findings.length} findings`;
  fs.writeFileSync(path.join(PRIVACY_DIR, 'summary.txt'), `${summary}\n`);
  if (findings.length)
    throw new Error(
      `${summary}\n${findings
        .slice(0, 10)
        .map((f) => `- ${f.testFile} ${f.where}: ${f.what}`)
        .join('\n')}`,
    );
  // A full run covers dozens of files; a run of a few files is a developer's own and proves nothing either way.
  if (files.size >= 20 && (logLines < 1000 || groupMessages < 50 || refusals < 20)) throw new Error(`${summary}\nThe scan saw too little to mean anything.`);
}
