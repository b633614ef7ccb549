import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PhaseFigures, ProbeReply, ProbeRequest } from './probe.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Child {
  url: string;
  /** Ends the child's current phase (the first began at its start) and begins the next; its figures. */
  phase(): Promise<PhaseFigures>;
  /** Moves the child's business clock forward (the bot's). */
  advanceClock(ms: number): Promise<void>;
  /** SIGTERM, then the peak resident memory the child reported on its way out (KiB). */
  stop(): Promise<number | undefined>;
}

/**
 * An npm script's last command (package.json's `… && NAME=value … node <options> dist/main.js`), in words: how
 * `npm start` (or start:prod) runs the bot.
 */
export function scriptLaunch(script = 'start'): { env: Record<string, string>; options: string[] } {
  const pkg = JSON.parse(fs.readFileSync(path.join(here, '../package.json'), 'utf8')) as { scripts: Record<string, string | undefined> };
  const command = pkg.scripts[script] ?? '';
  const words = command.split('&&').pop()!.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  const [node, ...options] = words;
  if (node !== 'node' || options.pop() !== 'dist/main.js')
    throw new Error(`bench: npm run ${script} should end in "node <options> dist/main.js", not "${command}"`);
  return { env, options };
}

/**
 * How `npm start` runs a compiled module: the node options, then the module given, so that what is measured or
 * tested runs exactly as a checkout's bot does, with the same heap settings. The echo runs with them too.
 */
export function startArgs(module: string): string[] {
  return [...scriptLaunch().options, path.join(here, '..', module)];
}

/** The environment npm start sets for the bot (MALLOC_ARENA_MAX: why in package.json's "//"); the echo gets it too. */
export function startEnv(): Record<string, string> {
  return scriptLaunch().env;
}

/** Brings dist/ up to date with the sources, bench/'s processes included, as `npm start` does before it starts. */
export function buildForBench(): void {
  execFileSync(process.execPath, [path.join(here, '../scripts/build.mjs'), '--if-stale', '--bench'], { stdio: 'inherit' });
}

/**
 * Starts bench/<script>.ts, compiled (buildForBench), in its own Node process, started as `npm start` starts
 * the bot, and waits for the {"url"} line it prints when listening. Its stderr
 * passes through so a failing bot is visible.
 */
export async function startChild(script: 'bot' | 'echo', env: Record<string, string> = {}): Promise<Child> {
  const proc: ChildProcess = spawn(process.execPath, startArgs(`dist/bench/${script}.js`), {
    env: { ...process.env, ...startEnv(), ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  // One request at a time, so each reply answers the request before it.
  let ipc: Promise<unknown> = Promise.resolve();
  const ask = <T>(request: ProbeRequest, key: string): Promise<T> => {
    const answer = ipc.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const on = (m: Record<string, unknown>) => {
            if (!(key in m)) return;
            proc.off('message', on);
            resolve(m[key] as T);
          };
          proc.on('message', on);
          void exited.then((code) => reject(new Error(`bench ${script} exited (${code}) before answering ${key}`)));
          proc.send(request, (e) => e && reject(e));
        }),
    );
    ipc = answer.catch(() => undefined);
    return answer;
  };
  const lines = readline.createInterface({ input: proc.stdout! });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  lines.on('line', (line) => {
    try {
      messages.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return; // not ours
    }
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const next = async (key: string): Promise<unknown> => {
    for (;;) {
      const found = messages.find((m) => key in m);
      if (found) return found[key];
      const more = new Promise<void>((resolve) => waiters.push(resolve));
      const code = await Promise.race([more.then(() => undefined), exited]);
      if (code !== undefined && !messages.some((m) => key in m)) throw new Error(`bench ${script} exited (${code}) before printing ${key}`);
    }
  };
  const url = String(await next('url'));
  return {
    url,
    phase: () => ask<ProbeReply['phase']>({ probe: 'phase' }, 'phase'),
    advanceClock: async (ms) => {
      await ask({ probe: 'advance-clock', ms }, 'clockAdvanced');
    },
    async stop() {
      proc.kill('SIGTERM');
      const rss = await Promise.race([next('maxRssKb'), exited.then(() => undefined)]).catch(() => undefined);
      await exited;
      return typeof rss === 'number' ? rss : undefined;
    },
  };
}
