import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Vitest global setup: the simulator's browser tests drive Debian's Chromium
 * (no browser downloads) and screenshot Chinese text and emoji. When a run
 * includes them, this makes sure, before any test starts, that the packages are
 * there: it installs what is missing when it can (as root, with apt-get, as on
 * a fresh CI machine), and otherwise stops the run with one message that says
 * what to install — instead of a suite that runs and then fails half-way.
 * This is the one list of those packages; `.ci/run` relies on it through `npm test`.
 */

/** Each package the browser tests need, and a file whose presence shows it is installed. */
export const BROWSER_PACKAGES = [
  { name: 'chromium', file: '/usr/bin/chromium' },
  { name: 'fonts-noto-cjk', file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc' },
  { name: 'fonts-noto-color-emoji', file: '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf' },
] as const;

export const CHROMIUM = BROWSER_PACKAGES[0].file;

/** What the setup needs to know about the machine (injected in its tests). */
export interface Machine {
  /** Packages of BROWSER_PACKAGES that are not installed. */
  missing: string[];
  root: boolean;
  aptGet: boolean;
}

export type BrowserSetupPlan = { action: 'ready' } | { action: 'install'; packages: string[] } | { action: 'stop'; message: string };

export function planBrowserSetup(m: Machine): BrowserSetupPlan {
  if (!m.missing.length) return { action: 'ready' };
  if (m.root && m.aptGet) return { action: 'install', packages: m.missing };
  return { action: 'stop', message: missingMessage(m) };
}

/** The one message for a machine the setup cannot fix itself: exactly what to install, and how to run the rest meanwhile. */
export function missingMessage(m: Machine): string {
  const list = m.missing.join(' ');
  const sudo = m.root ? '' : 'sudo ';
  const how = m.aptGet
    ? `  ${sudo}apt-get update && ${sudo}apt-get install -y ${list}`
    : `  （本机没有 apt-get / no apt-get here）Chromium at ${CHROMIUM}, and the Noto CJK and Noto Color Emoji fonts`;
  return [
    `浏览器测试（test/simulator/*.browser.test.ts）所需的软件包没有安装：${list}。请先安装：`,
    `The browser tests need packages that are not installed: ${list}. Install them with:`,
    how,
    `然后重新运行 npm test；或只运行其他测试 / then run npm test again, or run the other tests only:`,
    `  npx vitest run --exclude 'test/simulator/*.browser.test.ts'`,
  ].join('\n');
}

function probeMachine(): Machine {
  const onPath = (cmd: string) => (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, cmd)));
  return {
    missing: BROWSER_PACKAGES.filter((p) => !fs.existsSync(p.file)).map((p) => p.name),
    root: process.getuid?.() === 0,
    aptGet: onPath('apt-get'),
  };
}

/**
 * Ends the run before any test, with the message alone: thrown, it would come after
 * vitest's misleading "No test files found" and a stack trace.
 */
function stop(message: string): never {
  console.error(`\n${message}\n`);
  process.exit(1);
}

function aptGet(args: string[]): void {
  console.log(`$ apt-get ${args.join(' ')}`);
  try {
    execFileSync('apt-get', ['-qq', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    stop(`apt-get ${args.join(' ')} 失败 / failed${stderr ? `:\n${stderr.split('\n').slice(-5).join('\n')}` : ''}`);
  }
}

export async function setup(project: TestProject): Promise<void> {
  // The files this run was asked for: vitest keeps the command line's file filters there
  // (not in the public API); without it, every file counts, so the check errs on the safe side.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { testFiles } = await project.globTestFiles(filters);
  if (!testFiles.some((f) => f.endsWith('.browser.test.ts'))) return;

  const plan = planBrowserSetup(probeMachine());
  if (plan.action === 'ready') return;
  if (plan.action === 'stop') stop(plan.message);
  console.log(`浏览器测试需要 ${plan.packages.join(' ')}，正在安装 / installing what the browser tests need:`);
  aptGet(['update']);
  aptGet(['install', '-y', ...plan.packages]);
  const after = probeMachine();
  if (after.missing.length) stop(missingMessage(after));
}
