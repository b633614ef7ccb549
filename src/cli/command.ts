import { parseArgs } from 'node:util';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { displayWidth } from '../text-width.js';
import type { Logger } from '../logger.js';
import type { Io } from '../ops/io.js';

/**
 * One way to declare a `zoufang` command: its name, positionals and options as data, and a handler.
 * The declarations are parsed by node's `util.parseArgs` in strict mode (an unknown option is refused,
 * never ignored) and are the only source of every usage line and `--help` text.
 */

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** How the value is written in the usage, e.g. `YYYY` or `文件.xlsx`. */
  value?: string;
  required?: boolean;
  /** Chinese first, then English. */
  help: string;
}

export interface PositionalSpec {
  /** The key the handler reads it by. */
  name: string;
  /** How it is written in the usage, inside <> or []. */
  label: string;
  optional?: boolean;
  /** Takes every remaining argument (at least one unless optional). */
  variadic?: boolean;
  help?: string;
}

/** What a handler may use; the configuration and logger are built only when asked for. */
export interface CliContext {
  env: Record<string, string | undefined>;
  io: Io;
  clock: Clock;
  /** Throws ConfigError when the environment is not a valid configuration. */
  config(): Config;
  /** Logs go to stderr (io.err), never among the results on stdout. */
  log(): Logger;
}

type OptionValues<O> = {
  [K in keyof O]: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { required: true } ? string : string | undefined;
};
type PositionalValues<P extends readonly PositionalSpec[]> = {
  [S in P[number] as S['name']]: S extends { variadic: true } ? string[] : S extends { optional: true } ? string | undefined : string;
};

/** A command that does one thing (`import`, `campaign init`). */
export interface LeafCommand {
  name: string;
  summary: string;
  positionals: readonly PositionalSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  run(args: Record<string, unknown>, ctx: CliContext): Promise<number> | number;
}

/** A command made of subcommands (`campaign presets|init|load|list`). */
export interface CommandGroup {
  name: string;
  summary: string;
  subcommands: readonly Command[];
}

export type Command = LeafCommand | CommandGroup;

/** Refused input or a state the operator must change first: one line on stderr, exit 64 unless said. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 64,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

// biome-ignore lint/complexity/noBannedTypes: `{}` is "no options", which inference widens to what a command declares
export function command<const P extends readonly PositionalSpec[] = [], const O extends Record<string, OptionSpec> = {}>(spec: {
  name: string;
  summary: string;
  positionals?: P;
  options?: O;
  run(args: PositionalValues<P> & OptionValues<O>, ctx: CliContext): Promise<number> | number;
}): LeafCommand {
  return {
    name: spec.name,
    summary: spec.summary,
    positionals: spec.positionals ?? [],
    options: spec.options ?? {},
    run: spec.run as LeafCommand['run'],
  };
}

export function group(name: string, summary: string, subcommands: readonly Command[]): CommandGroup {
  return { name, summary, subcommands };
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';
const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: '显示本说明 / show this help' };

/** What the command line asks for: a command to run with its arguments, or the help of a command (or of all). */
export type Resolved =
  | { kind: 'run'; path: string[]; command: LeafCommand; args: Record<string, unknown> }
  | { kind: 'help'; path: string[]; command: Command | null };

/** Finds the command in the table and parses its arguments; throws CliError (64) naming what is wrong. */
export function resolve(table: readonly Command[], argv: readonly string[]): Resolved {
  const path: string[] = [];
  let current: CommandGroup | null = null;
  for (let i = 0; ; i++) {
    const word = argv[i];
    const commands: readonly Command[] = current?.subcommands ?? table;
    const here = ['zoufang', ...path].join(' ');
    if (isHelp(word)) return { kind: 'help', path, command: current };
    if (word === undefined) {
      throw new CliError(
        current
          ? `缺少子命令 / missing subcommand — 用法 / usage: ${usageLine(path, current)}`
          : '缺少命令 / missing command — zoufang help 列出全部命令 / lists every command',
      );
    }
    const found = commands.find((c) => c.name === word);
    if (!found) {
      throw new CliError(
        current
          ? `未知的子命令 / unknown subcommand: ${here} ${word} — 可用 / available: ${commands.map((c) => c.name).join(', ')}`
          : `未知命令 / unknown command: ${word} — zoufang help 列出全部命令 / lists every command`,
      );
    }
    path.push(word);
    if ('run' in found) return parseLeaf(found, path, argv.slice(i + 1));
    current = found;
  }
}

export function findIn(table: readonly Command[], path: readonly string[]): Command {
  let commands = table;
  let found: Command | undefined;
  for (const [i, word] of path.entries()) {
    found = commands.find((c) => c.name === word);
    if (!found) throw new CliError(`未知命令 / unknown command: zoufang ${path.slice(0, i + 1).join(' ')} — zoufang help 列出全部命令 / lists every command`);
    commands = 'subcommands' in found ? found.subcommands : [];
  }
  if (!found) throw new CliError('缺少命令 / missing command');
  return found;
}

function parseLeaf(c: LeafCommand, path: string[], args: string[]): Resolved {
  const refuse = (why: string) => new CliError(`${why} — 用法 / usage: ${usageLine(path, c)}`);
  const options = Object.fromEntries(
    Object.entries({ ...c.options, help: HELP_OPTION }).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
  );
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw refuse(parseProblem(e));
  }
  if (parsed.values.help) return { kind: 'help', path, command: c };

  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(c.options)) {
    const v = parsed.values[name];
    if (o.required && v === undefined) throw refuse(`${`缺少 --${name} ${o.value ?? ''}`.trimEnd()} / missing --${name}`);
    values[name] = o.type === 'boolean' ? v === true : v;
  }
  const given = [...parsed.positionals];
  for (const p of c.positionals) {
    if (p.variadic) {
      if (!given.length && !p.optional) throw refuse(`缺少 <${p.label}> / missing <${p.label}>`);
      values[p.name] = given.splice(0);
    } else {
      const v = given.shift();
      if (v === undefined && !p.optional) throw refuse(`缺少 <${p.label}> / missing <${p.label}>`);
      values[p.name] = v;
    }
  }
  if (given.length) throw refuse(`多余的参数 / unexpected argument: ${given.join(' ')}`);
  return { kind: 'run', path, command: c, args: values };
}

/** parseArgs names the offending option in English; the operator gets it in one bilingual line. */
function parseProblem(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  // "Unknown option '--yaer'", "Option '-y, --year <value>' argument missing": the long name when there is one.
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const names = quoted.match(/--?[^\s,<]+/g) ?? [];
  const option = names.find((n) => n.startsWith('--')) ?? names[0] ?? quoted;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `不认识的参数 ${option} / unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /does not take/.test(message) ? `${option} 不带值 / ${option} takes no value` : `${option} 需要一个值 / ${option} needs a value`;
  }
  return message.split('\n')[0]!;
}

function optionUsage(name: string, o: OptionSpec): string {
  return o.type === 'boolean' ? `--${name}` : `--${name} ${o.value ?? '<值>'}`;
}

function positionalUsage(p: PositionalSpec): string {
  const inner = `${p.label}${p.variadic && !p.label.includes('…') ? '…' : ''}`;
  return p.optional ? `[${inner}]` : `<${inner}>`;
}

/** `zoufang campaign init --preset <名称> [--year YYYY] …` */
function usageLine(path: readonly string[], c: Command): string {
  if (!('run' in c)) return `zoufang ${path.join(' ')} <${c.subcommands.map((s) => s.name).join('|')}>`;
  const options = Object.entries(c.options).map(([name, o]) => (o.required ? optionUsage(name, o) : `[${optionUsage(name, o)}]`));
  return ['zoufang', ...path, ...c.positionals.map(positionalUsage), ...options].join(' ');
}

/** A name and its description, the description in a column of its own (below when the name is long). */
function entry(name: string, description: string, column: number): string {
  const head = `  ${name}`;
  return displayWidth(head) < column - 1 ? `${head}${' '.repeat(column - displayWidth(head))}${description}` : `${head}\n${' '.repeat(column)}${description}`;
}

/** Every runnable command under `c`, with its path. */
function leaves(path: readonly string[], c: Command): Array<{ path: string[]; command: LeafCommand }> {
  const here = [...path, c.name];
  return 'run' in c ? [{ path: here, command: c }] : c.subcommands.flatMap((s) => leaves(here, s));
}

const leafEntry = (l: { path: string[]; command: LeafCommand }) => entry(usageLine(l.path, l.command).slice('zoufang '.length), l.command.summary, 35);

/** `zoufang help`: one entry per runnable command. */
export function overviewHelp(table: readonly Command[]): string {
  const lines = table.flatMap((c) => leaves([], c)).map(leafEntry);
  return ['用法 / usage: zoufang <command>', ...lines, '', '每个命令的说明 / each command in detail: zoufang <command> --help'].join('\n');
}

/** `zoufang <command> --help`: the usage, what it does, and each positional and option. */
export function commandHelp(path: readonly string[], c: Command): string {
  const lines = [`用法 / usage: ${usageLine(path, c)}`, c.summary];
  if (!('run' in c)) {
    lines.push('', ...leaves(path.slice(0, -1), c).map(leafEntry));
    return lines.join('\n');
  }
  const described = c.positionals.filter((p) => p.help);
  if (described.length) lines.push('', ...described.map((p) => entry(positionalUsage(p), p.help!, 30)));
  lines.push('', '选项 / options:');
  for (const [name, o] of Object.entries({ ...c.options, help: HELP_OPTION })) {
    lines.push(entry(`${o.short ? `-${o.short}, ` : ''}${optionUsage(name, o)}`, o.help, 30));
  }
  return lines.join('\n');
}
