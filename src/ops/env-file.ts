import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `.env` file: plain `KEY=value` lines, read the way systemd's
 * EnvironmentFile and Docker's --env-file read them (no inline comments, optional
 * surrounding quotes), so the same file serves `npm start`, the unit and the image.
 */

/** `.env.example` at the repository root (the same depth from src/ops and dist/ops). */
export const ENV_EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.env.example');

/** Where the CLI and the bot read settings from: ZOUFANG_ENV_FILE, else `.env` in the working directory. */
export const envFilePath = (env: Record<string, string | undefined>): string => path.resolve(env.ZOUFANG_ENV_FILE ?? '.env');

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/;

export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

/**
 * Sets keys in an env file's text, keeping every other line: an existing
 * `KEY=` line is replaced, else a commented-out `# KEY=` line is, else the key is appended.
 */
export function setEnvValues(text: string, values: Record<string, string>): string {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  for (const [key, value] of Object.entries(values)) {
    const set = new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=`);
    const commented = new RegExp(`^\\s*#\\s*${key}\\s*=`);
    let i = lines.findIndex((l) => set.test(l));
    if (i === -1) i = lines.findIndex((l) => commented.test(l));
    if (i === -1) lines.push(`${key}=${value}`);
    else lines[i] = `${key}=${value}`;
  }
  return `${lines.join('\n')}\n`;
}

export function readEnvFile(file: string): Record<string, string> {
  return fs.existsSync(file) ? parseEnv(fs.readFileSync(file, 'utf8')) : {};
}

/**
 * Writes keys into the env file, starting from `.env.example` when there is none.
 * The file holds the app secret, so only its owner may read it.
 */
export function updateEnvFile(file: string, values: Record<string, string>): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : fs.existsSync(ENV_EXAMPLE) ? fs.readFileSync(ENV_EXAMPLE, 'utf8') : '';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, setEnvValues(text, values), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/** Fills `env` from the env file; variables already set (systemd, docker, the shell) win. */
export function loadEnvFile(env: Record<string, string | undefined>, file = envFilePath(env)): void {
  for (const [k, v] of Object.entries(readEnvFile(file))) if (env[k] === undefined) env[k] = v;
}
