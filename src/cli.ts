import { systemClock, type Clock } from './clock.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { CampaignDefinitionError } from './domain/campaign.js';
import { calendarCommand } from './cli/calendar.js';
import { campaignCommand } from './cli/campaign.js';
import { CliError, command, commandHelp, findIn, overviewHelp, resolve, type CliContext, type Command } from './cli/command.js';
import { demoRosterCommand, seedDemoCommand, seedDistrictCommand } from './cli/demo.js';
import { jobCommand } from './cli/job.js';
import { outboxCommand } from './cli/outbox.js';
import { routesCommand } from './cli/routes.js';
import { importCommand, rosterCommand, templateCommand } from './cli/roster.js';
import { exportCommand } from './export/cli.js';
import { createLogger, type Logger } from './logger.js';
import { OPS_COMMANDS, migrateCommand } from './ops/commands.js';
import { loadEnvFile } from './ops/env-file.js';
import { consoleIo, type Io } from './ops/io.js';

/**
 * `zoufang <command>` — admin tasks from a terminal. Results go to stdout, logs and refusals to
 * stderr, refusals in one line, Chinese first; the exit code is non-zero on failure, so scripts can rely on it.
 */

const helpCommand = command({
  name: 'help',
  summary: '显示全部命令，或一个命令的说明 / show every command, or one in detail',
  positionals: [{ name: 'command', label: 'command', optional: true, variadic: true }],
  run: (args, { io }) => {
    io.out(args.command.length ? commandHelp(args.command, findIn(COMMANDS, args.command)) : overviewHelp(COMMANDS));
    return 0;
  },
});

const COMMANDS: readonly Command[] = [
  migrateCommand,
  campaignCommand,
  calendarCommand,
  templateCommand,
  importCommand,
  rosterCommand,
  demoRosterCommand,
  seedDemoCommand,
  seedDistrictCommand,
  exportCommand,
  ...OPS_COMMANDS,
  outboxCommand,
  jobCommand,
  routesCommand,
  helpCommand,
];

/** Problems listed one per line (a configuration, a campaign file) become one line. */
function oneLine(message: string): string {
  const [head = '', ...problems] = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return problems.length ? `${head} ${problems.map((p) => p.replace(/^- /, '')).join('；')}` : head;
}

export interface CliOptions {
  io?: Io;
  clock?: Clock;
}

export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env, o: CliOptions = {}): Promise<number> {
  const io = o.io ?? consoleIo;
  let config: Config | undefined;
  let log: Logger | undefined;
  const ctx: CliContext = {
    env,
    io,
    clock: o.clock ?? systemClock,
    config: () => (config ??= loadConfig(env)),
    // Logs share stderr with refusals, so that stdout carries only the results.
    log: () => (log ??= createLogger(env.LOG_LEVEL ? ctx.config().logLevel : 'warn', { write: (line: string) => io.err(line.trimEnd()) })),
  };
  try {
    // Asking for the usage is no mistake: it goes to stdout and succeeds, whatever the configuration.
    const asked = resolve(COMMANDS, argv);
    if (asked.kind === 'help') {
      io.out(asked.command ? commandHelp(asked.path, asked.command) : overviewHelp(COMMANDS));
      return 0;
    }
    return await asked.command.run(asked.args, ctx);
  } catch (e) {
    // Refusals and bad configuration or definitions are the operator's to fix: why, and nothing more.
    if (e instanceof CliError || e instanceof ConfigError || e instanceof CampaignDefinitionError) io.err(oneLine(e.message));
    else {
      io.err(`出错了 / failed: ${oneLine(e instanceof Error ? e.message : String(e))}（LOG_LEVEL=debug 显示详情 / for details）`);
      if (env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace') io.err(e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
    return e instanceof CliError ? e.exitCode : e instanceof ConfigError ? 2 : 1;
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  loadEnvFile(process.env);
  process.exit(await runCli(process.argv.slice(2)));
}
