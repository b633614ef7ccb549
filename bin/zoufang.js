#!/usr/bin/env node
// The `zoufang` command: runs the TypeScript CLI through tsx (no build step needed).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
try {
  process.exit(await runCli(process.argv.slice(2)));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(e?.constructor?.name === 'CliError' ? 64 : 1);
}
