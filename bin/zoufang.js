#!/usr/bin/env node
// The `zoufang` command: runs the compiled CLI from dist/. In a checkout (scripts/ beside it) it first brings
// dist/ up to date — nothing to do unless a source changed — so the command never runs older code than the
// sources; an installed image ships dist/ alone.
// Settings come from the environment, then from .env (ZOUFANG_ENV_FILE names another file).
import fs from 'node:fs';

const builder = new URL('../scripts/build.mjs', import.meta.url);
if (fs.existsSync(builder)) await (await import(builder.href)).build({ ifStale: true });
const load = (name) => import(new URL(`../dist/${name}.js`, import.meta.url).href);
const { runCli } = await load('cli');
const { loadEnvFile } = await load('ops/env-file');

loadEnvFile(process.env);
// runCli reports every failure itself (one line on stderr) and answers with the exit code.
process.exit(await runCli(process.argv.slice(2)));
