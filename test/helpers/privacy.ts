import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * The privacy scan. Every harness, when it closes, scans what the whole test
 * produced — every log line and every message to a group — for what must
 * never be there: a student's family details, a category reason, anything a
 * teacher typed about a family, a phone number. What it saw is appended to
 * test-artifacts/privacy/, and test/helpers/privacy-global.ts checks at the
 * end of the run that the scan saw the whole suite and found nothing.
 */

export const PRIVACY_DIR = path.resolve('test-artifacts/privacy');

/** A mainland mobile number standing alone (not inside an id or a longer number). */
const MOBILE = /(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/;

export interface PrivacyFinding {
  where: 'log' | 'group';
  what: string;
  excerpt: string;
}

/** The values a database holds that must stay private: family details, reasons, what was typed about a family. */
export function privateValues(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const out = new Set<string>();
    // Short values ("是", "5") are not secrets and would match everywhere; a parent's name is short but is one.
    const add = (v: unknown, min = 4) => {
      if (typeof v === 'string' && v.trim().length >= min) out.add(v.trim());
    };
    for (const t of db.prepare('SELECT parent_name, phone, address, reason FROM targets').all() as Array<Record<string, unknown>>) {
      add(t.parent_name, 2);
      [t.phone, t.address, t.reason].forEach((v) => add(v));
    }
    for (const p of db.prepare('SELECT mobile FROM people').all() as Array<{ mobile: unknown }>) add(p.mobile);
    for (const r of db.prepare("SELECT data FROM records WHERE form = 'visit'").all() as Array<{ data: string }>) {
      const d = JSON.parse(r.data) as Record<string, unknown>;
      for (const k of ['summary', 'situation', 'content', 'opinions', 'followUpNote']) add(d[k]);
    }
    return [...out];
  } finally {
    db.close();
  }
}

export function scan(logLines: string[], groupTexts: string[], secrets: string[]): PrivacyFinding[] {
  const findings: PrivacyFinding[] = [];
  const check = (where: PrivacyFinding['where'], text: string) => {
    for (const s of secrets) if (text.includes(s)) findings.push({ where, what: s, excerpt: text.slice(Math.max(0, text.indexOf(s) - 40), text.indexOf(s) + s.length + 40) });
    const m = MOBILE.exec(text);
    if (m) findings.push({ where, what: m[0], excerpt: text.slice(Math.max(0, m.index - 40), m.index + 51) });
  };
  logLines.forEach((l) => check('log', l));
  groupTexts.forEach((t) => check('group', t));
  return findings;
}

/** Appends what one harness saw, and fails when it found something. */
export function recordScan(entry: { testFile: string; logLines: string[]; groupTexts: string[]; dbFile: string }): void {
  const findings = fs.existsSync(entry.dbFile) ? scan(entry.logLines, entry.groupTexts, privateValues(entry.dbFile)) : scan(entry.logLines, entry.groupTexts, []);
  fs.mkdirSync(PRIVACY_DIR, { recursive: true });
  fs.appendFileSync(
    path.join(PRIVACY_DIR, `${process.pid}.jsonl`),
    `${JSON.stringify({ testFile: path.relative(process.cwd(), entry.testFile), logLines: entry.logLines.length, groupMessages: entry.groupTexts.length, findings })}\n`,
  );
  if (findings.length) {
    throw new Error(`隐私扫描发现 ${findings.length} 处泄露 / privacy scan found leaks:\n${findings.slice(0, 5).map((f) => `- ${f.where}: ${f.what} … ${f.excerpt}`).join('\n')}`);
  }
}
