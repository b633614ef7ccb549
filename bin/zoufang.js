#!/usr/bin/env node
// The `zoufang` command: runs the compiled CLI from dist/ (npm run build) when there is one,
// else the TypeScript sources through tsx, so a checkout works without a build step.
// Settings come from the environment, then from .env (ZOUFANG_ENV_FILE names another file).
import fs from 'node:fs';

const compiled = fs.existsSync(new URL('../dist/cli.js', import.meta.url));
if (!compiled) {
  const { register } = await import('tsx/esm/api');
  register();
}
const load = (name) => import(new URL(compiled ? `../dist/${name}.js` : `../src/${name}.ts`, import.meta.url).href);
const { runCli } = await load('cli');
const { loadEnvFile } = await load('ops/env-file');

loadEnvFile(process.env);
// runCli reports every failure itself (one line on stderr) and answers with the exit code.
process.exit(await runCli(process.argv.slice(2)));
