#!/usr/bin/env node
// Compiles src/ to dist/ (one JavaScript module per TypeScript module, same layout, so every path a module
// finds from its own import.meta.url — cards/, migrations/, the simulator's page — holds in both), and with
// --bench also bench/'s measured processes to dist/bench/. dist/main.js, what `npm start` runs, is then replaced by
// the bot in one file (bundleBot) that finds its files from the same places. Plain JavaScript, so that `npm start` needs no
// TypeScript loader in the bot's process: tsx's loader costs the bot about 40 MB and half a second of start.
// Types are checked by `npm run typecheck` and `npm run lint`, not here; esbuild only strips them.
//
//   node scripts/build.mjs              build dist/ from scratch
//   node scripts/build.mjs --if-stale   only when a file under src/ (or this script) is newer than the last build
//   node scripts/build.mjs --bench      also bench/bot.ts and bench/echo.ts (for `npm run bench`)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.built');
/** The Feishu SDK as npm installed it: one 6 MB CommonJS file (see vendorSdk). */
const sdkDir = path.join(root, 'node_modules/@larksuiteoapi/node-sdk');

/** Every file under dir, recursively. */
const filesUnder = (dir) => entriesUnder(dir).flatMap((e) => (e.isFile() ? [path.join(e.parentPath, e.name)] : []));
const entriesUnder = (dir) => fs.readdirSync(dir, { recursive: true, withFileTypes: true });

/** dir and everything under it: a file added, removed or renamed changes its directory's time, an edit its own. */
const pathsUnder = (dir) => [dir, ...entriesUnder(dir).map((e) => path.join(e.parentPath, e.name))];

function upToDate(bench) {
  if (!fs.existsSync(stamp) || (bench && !fs.existsSync(path.join(dist, 'bench/bot.js')))) return false;
  const built = fs.statSync(stamp).mtimeMs;
  const inputs = [...pathsUnder(src), fileURLToPath(import.meta.url), path.join(sdkDir, 'lib/index.js')];
  // bench/'s sources only: its results/ changes with every run.
  if (bench) inputs.push(...filesUnder(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')));
  return inputs.every((f) => fs.statSync(f).mtimeMs <= built);
}

// The maps are for a developer who runs `node --enable-source-maps dist/main.js` to read stack traces as
// TypeScript lines. npm start does not: with the flag every logged error's stack is mapped and each map it touches
// is parsed and kept, which cost the district's start-up catch-up about a sixth more CPU and 5 MB more memory; the
// compiled modules keep the sources' names and shape, so a trace reads well without. Positions only: with the
// TypeScript inside them (sourcesContent) a mapped module's source would sit in the heap a second time.
const common = { platform: 'node', format: 'esm', target: 'node20', sourcemap: 'linked', sourcesContent: false, logLevel: 'warning' };

/**
 * A lighter copy of the Feishu SDK for the compiled bot (src/feishu/sdk.ts loads it when it is there): its one
 * 6 MB file has Chinese in comments and strings, so V8 keeps the whole source as a two-byte string, 12 MB of the
 * bot's heap for as long as it runs. Without comments and with non-ASCII escaped (esbuild's default) the source
 * is 1.9 MB of one-byte text; the code is the same. Names are kept, only whitespace and syntax are minified. The
 * SDK finds its own version (for its User-Agent) in ../package.json, so that file comes along, with its licence.
 */
async function vendorSdk(esbuild, out) {
  const to = path.join(out, 'vendor/node-sdk');
  await esbuild.build({
    entryPoints: [path.join(sdkDir, 'lib/index.js')],
    outfile: path.join(to, 'lib/index.cjs'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  });
  for (const f of ['package.json', 'LICENSE']) fs.copyFileSync(path.join(sdkDir, f), path.join(to, f));
}

/**
 * Packages the bot imports that its bundle leaves to node_modules: native code, and the big ones loaded only when
 * needed. (The SDK, axios, jieba's dictionary and vchart are found at run time through createRequire, which esbuild
 * leaves alone.)
 */
const OUTSIDE_THE_BUNDLE = ['better-sqlite3', 'exceljs', 'archiver'];

/**
 * The bot as one file: an entry with every module it imports from src/ and node_modules, without comments or
 * whitespace. Loaded as some three hundred modules, the bot kept each one's source, comments included, and a module
 * record for each in its heap, about 5 MB more for as long as it ran. Names are kept (only whitespace and syntax
 * are minified), so a stack trace still reads. A module that finds files from its own import.meta.url (cards/,
 * migrations/, the simulator's page, the vendored SDK) finds them from where its one-file copy lies in dist/, as
 * before; the CLI still runs those copies. `require` is defined for the CommonJS packages inside (express, pino).
 */
async function bundleBot(esbuild, out, entry, outfile) {
  const compiledCopy = (file) =>
    file.startsWith(src + path.sep) ? path.join(out, path.relative(src, file)) : path.join(out, 'bench', path.relative(path.join(root, 'bench'), file));
  const built = await esbuild.build({
    write: false,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    external: OUTSIDE_THE_BUNDLE,
    // For `node --enable-source-maps dist/main.js` (see common); Node reads it only then.
    sourcemap: 'linked',
    sourcesContent: false,
    banner: { js: "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);" },
    logLevel: 'warning',
    plugins: [
      {
        name: 'own-module-url',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (a) => {
            const copy = compiledCopy(a.path).replace(/\.ts$/, '.js');
            const fromBundle = path.relative(path.dirname(outfile), copy).split(path.sep).join('/');
            const url = `new URL(${JSON.stringify(fromBundle.startsWith('.') ? fromBundle : `./${fromBundle}`)}, import.meta.url).href`;
            return { contents: fs.readFileSync(a.path, 'utf8').replaceAll('import.meta.url', url), loader: 'ts' };
          });
        },
      },
    ],
  });
  for (const f of built.outputFiles) {
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    fs.writeFileSync(f.path, f.path.endsWith('.js') ? latin1(f.text) : f.contents);
  }
}

/**
 * A source with every character above U+00FF written as `\uXXXX`. V8 keeps a module's source for as long as the
 * module lives, one byte per character only if every character fits in one: a single Chinese character makes the
 * whole 2.3 MB bundle a two-byte string, 2.3 MB more heap. esbuild escapes strings and templates but leaves regular
 * expression literals as written (/[（(]/); there the escape means the same character. A backslash before such a
 * character (`\（`, which a pattern without the u flag reads as the character itself) is dropped with it. (In the
 * source map, columns after such a character on its line are off by a few.)
 */
function latin1(code) {
  return code.replace(/(\\*)([^\x00-\xff])/g, (_, slashes, ch) => {
    const kept = slashes.length % 2 ? slashes.slice(1) : slashes;
    return `${kept}\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * Builds into a directory of its own and then puts it in dist/'s place, so that a process starting meanwhile (a
 * `zoufang` command beside `npm start`, test files in parallel) finds the old build or the new one, never half of one.
 */
async function compile(bench) {
  const esbuild = await import('esbuild'); // only when there is something to build
  const started = new Date(); // a source saved while this build runs is newer than it
  const out = `${dist}.building-${process.pid}`;
  fs.rmSync(out, { recursive: true, force: true });
  await esbuild.build({
    ...common,
    entryPoints: filesUnder(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    outdir: out,
    outbase: src,
  });
  await vendorSdk(esbuild, out);
  // The simulator's page is served as it is.
  fs.cpSync(path.join(src, 'simulator/public'), path.join(out, 'simulator/public'), { recursive: true });
  // npm start runs the bot as one file (why: bundleBot); the measured bot is the same file with bench/'s wrapper.
  await bundleBot(esbuild, out, path.join(src, 'main.ts'), path.join(out, 'main.js'));
  if (bench) {
    await bundleBot(esbuild, out, path.join(root, 'bench/bot.ts'), path.join(out, 'bench/bot.js'));
    // The echo is express alone, bundled with what is its own (the probe).
    await esbuild.build({
      ...common,
      entryPoints: [path.join(root, 'bench/echo.ts')],
      outdir: path.join(out, 'bench'),
      bundle: true,
      packages: 'external',
    });
  }
  fs.writeFileSync(path.join(out, '.built'), `${started.toISOString()}\n`);
  fs.utimesSync(path.join(out, '.built'), started, started);
  const old = `${dist}.old-${process.pid}`;
  // Another process building at the same moment may move dist/ first; its build is as fresh as this one.
  const tolerate = (codes, f) => {
    try {
      f();
    } catch (e) {
      if (!codes.includes(e.code)) throw e;
    }
  };
  tolerate(['ENOENT'], () => fs.renameSync(dist, old));
  tolerate(['ENOTEMPTY', 'EEXIST'], () => fs.renameSync(out, dist));
  fs.rmSync(old, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
}

/** Builds dist/ (with bench/'s processes if bench) unless ifStale and it is up to date; whether it built. */
export async function build({ ifStale = false, bench = false } = {}) {
  if (ifStale && upToDate(bench)) return false;
  await compile(bench);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !['--if-stale', '--bench'].includes(a));
  if (unknown.length) {
    process.stderr.write(`build: unknown option ${unknown.join(' ')} (known: --if-stale, --bench)\n`);
    process.exit(2);
  }
  await build({ ifStale: args.includes('--if-stale'), bench: args.includes('--bench') });
}
