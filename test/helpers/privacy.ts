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
  where: 'log' | 'group' | 'refusal';
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

/** Whom the visit targets are: a refusal must not name them (a forged id would reveal the student). */
export function targetNames(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT name FROM targets').all() as Array<{ name: string }>).map((t) => t.name).filter((n) => n.trim().length >= 2);
  } finally {
    db.close();
  }
}

/**
 * `refusals` are the error and warning toasts people were given: someone
 * refused may be anyone, so besides the secrets they must not name a student.
 */
export function scan(logLines: string[], groupTexts: string[], secrets: string[], refusals: string[] = [], names: string[] = []): PrivacyFinding[] {
  const findings: PrivacyFinding[] = [];
  const check = (where: PrivacyFinding['where'], text: string, words = secrets) => {
    for (const s of words)
      if (text.includes(s)) findings.push({ where, what: s, excerpt: text.slice(Math.max(0, text.indexOf(s) - 40), text.indexOf(s) + s.length + 40) });
    const m = MOBILE.exec(text);
    if (m) findings.push({ where, what: m[0], excerpt: text.slice(Math.max(0, m.index - 40), m.index + 51) });
  };
  logLines.forEach((l) => check('log', l));
  groupTexts.forEach((t) => check('group', t));
  refusals.forEach((t) => check('refusal', t, [...secrets, ...names]));
  return findings;
}

/** Appends what one harness saw, and fails when it found something. */
export function recordScan(entry: { testFile: string; logLines: string[]; groupTexts: string[]; refusals?: string[]; dbFile: string }): void {
  const stored = fs.existsSync(entry.dbFile);
  const findings = scan(entry.logLines, entry.groupTexts, stored ? privateValues(entry.dbFile) : [], entry.refusals, stored ? targetNames(entry.dbFile) : []);
  fs.mkdirSync(PRIVACY_DIR, { recursive: true });
  fs.appendFileSync(
    path.join(PRIVACY_DIR, `${process.pid}.jsonl`),
    `${JSON.stringify({ testFile: path.relative(process.cwd(), entry.testFile), logLines: entry.logLines.length, groupMessages: entry.groupTexts.length, refusals: entry.refusals?.length ?? 0, findings })}\n`,
  );
  if (findings.length) {
    throw new Error(
      `隐私扫描发现 ${findings.length} 处泄露 / privacy scan found leaks:\n${findings
        .slice(0, 5)
        .map((f) => `- ${f.where}: ${f.what} … ${f.excerpt}`)
        .join('\n')}`,
    );
  }
}
