#!/usr/bin/env node
// `npm run build`, and the prepare step of `npm ci`: compiles src/ into dist/ so that
// `npx backupbot` starts from JavaScript. dist/ is rebuilt from scratch (a removed source
// file must not live on as a stale module) and dist/.built is written last: the bin uses
// dist/ only when that stamp is newer than every source file.
//
// Then esbuild (installed with tsx) bundles the CLI into one CommonJS file,
// dist/bundle/cli.cjs, and the build runs it once to save V8's code cache for it
// (dist/bundle/cli.cjs.cache). The bin (src/bin/backupbot.cjs) compiles the bundle with that
// cache, so Node neither starts its ES module loader nor parses and compiles the CLI's
// JavaScript before a command runs: a third off `backupbot parse`'s start (BENCHMARKS.md).
// Each command's modules are still initialised only when the command runs, and packages
// with native code, WebAssembly or data files stay external (required when first used).
// Without esbuild the bin runs tsc's dist/cli/index.js, which behaves the same.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
/** Packages bundled into the CLI: plain JavaScript that every command loads. */
const BUNDLED = new Set(['commander', 'picomatch']);

let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  // `npm ci --omit=dev` installs no compiler: the bin then runs the sources through tsx.
  console.warn('backupbot build: TypeScript is not installed (dev dependencies omitted); npx backupbot will run the sources through tsx, which starts more slowly.');
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  // Installing must not fail over this: the sources still run (through tsx), and
  // `npm run typecheck` names the problem.
  console.error('backupbot build: tsc failed (see above); dist/ was removed, so npx backupbot runs the sources through tsx (slower start). Fix the errors and run npm run build.');
  process.exit(0);
}
const bundled = await bundle();
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
// After the stamp: the warm-up runs the bin, which uses dist/ only once the stamp says it is complete.
if (bundled) writeCodeCache(join(dist, 'bundle'));

async function bundle() {
  const out = join(dist, 'bundle');
  let esbuild;
  try {
    const requireFromTsx = createRequire(createRequire(join(root, 'package.json')).resolve('tsx/package.json'));
    esbuild = await import(pathToFileURL(requireFromTsx.resolve('esbuild')).href);
  } catch {
    console.warn('backupbot build: esbuild (installed with tsx) was not found; npx backupbot runs the unbundled dist/cli/index.js, which starts a little more slowly.');
    return false;
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
    .filter((name) => !BUNDLED.has(name))
    .flatMap((name) => [name, `${name}/*`]);
  try {
    await esbuild.build({
      entryPoints: [join(root, 'src', 'cli', 'index.ts')],
      // Two levels under the root like src/*/x.ts, so paths found from import.meta.url
      // (../../package.json, ../../drizzle) still resolve.
      outfile: join(out, 'cli.cjs'),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external,
      keepNames: true,
      sourcemap: true,
      logLevel: 'error',
      // import() of a package left outside the bundle becomes require(): the bin compiles the
      // bundle with vm.Script, where import() needs a loader callback that a code cache
      // drops. Every such package has a CommonJS entry.
      supported: { 'dynamic-import': false },
      // CommonJS has no import.meta: the bundle's own file URL stands in for it.
      define: { 'import.meta.url': '__bundleUrl' },
      banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    });
  } catch {
    rmSync(out, { recursive: true, force: true });
    console.warn('backupbot build: bundling the CLI failed (see above); npx backupbot runs the unbundled dist/cli/index.js, which starts a little more slowly.');
    return false;
  }
  return true;
}

/**
 * Runs the bundled CLI's `parse` on a small generated log, in a child process that then
 * writes V8's code cache for the bundle: the cache then holds the functions a command
 * compiles on its way, not only the top level. A failure only costs start-up time.
 */
function writeCodeCache(out) {
  const tmp = mkdtempSync(join(tmpdir(), 'backupbot-build-'));
  try {
    const log = join(tmp, 'warm-up.log');
    writeFileSync(log, warmUpLog());
    const r = spawnSync(process.execPath, [join(root, 'src', 'bin', 'backupbot.cjs'), 'parse', log, '--json'], {
      env: { ...process.env, BACKUPBOT_WRITE_CODE_CACHE: join(out, 'cli.cjs.cache') },
      encoding: 'utf8',
    });
    // Exit 0 or 1 (a failed backup) both mean the parse ran.
    if (r.status !== 0 && r.status !== 1) console.warn(`backupbot build: warming the CLI up failed (the CLI still works, it only starts more slowly): ${r.stderr}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A short verbose rsync run with one unreadable file, so the error paths compile too. */
function warmUpLog() {
  return [
    'sending incremental file list',
    'home/',
    'home/alice/',
    'home/alice/notes.txt',
    'rsync: [sender] send_files failed to open "/home/alice/locked.db": Permission denied (13)',
    'deleting home/alice/old.txt',
    '',
    'Number of files: 3 (reg: 2, dir: 1)',
    'Number of regular files transferred: 1',
    'Total file size: 1,024 bytes',
    'Total transferred file size: 512 bytes',
    'sent 700 bytes  received 35 bytes  1,470.00 bytes/sec',
    'total size is 1,024  speedup is 1.39',
    'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]',
    '',
  ].join('\n');
}
