#!/usr/bin/env node
// Entry point for `npx backupbot`. `npm ci` builds the CLI (the prepare script,
// scripts/build.js): one CommonJS bundle, dist/bundle/cli.cjs, and V8's code cache for it.
// This file is CommonJS too, so Node does not start its ES module loader, and it compiles
// the bundle with the cache, so the CLI's JavaScript is neither parsed nor compiled again:
// `backupbot parse` and `--help` start in about the time Node itself needs.
//
// Without the bundle it runs tsc's dist/cli/index.js (the same code, unbundled). When dist/
// is missing, or a source file changed after the last build (someone is developing, or
// pulled without `npm ci`), it runs the TypeScript sources through tsx instead, so what runs
// is always what the sources say.
'use strict';
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync, renameSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const bundled = join(root, 'dist', 'bundle', 'cli.cjs');
const built = join(root, 'dist', 'cli', 'index.js');

/** The newest modification time of the TypeScript files under dir. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function useBuild() {
  if (process.env.BACKUPBOT_FROM_SOURCE === '1' || !existsSync(built)) return false;
  // The build writes dist/.built last, so its time says when a complete build finished.
  const stamp = join(root, 'dist', '.built');
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource(join(root, 'src'));
}

/**
 * Loads the CommonJS bundle as require() would, but compiled with the code cache the build
 * saved next to it. A cache from another Node version is rejected by V8 and the bundle is
 * compiled as usual (BACKUPBOT_TRACE_START=1 says which happened on stderr).
 * BACKUPBOT_WRITE_CODE_CACHE=FILE (used by the build) writes a fresh
 * cache once the command has run, so it holds the functions the command compiled.
 */
function loadBundle(file) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const cacheFile = `${file}.cache`;
  const writeTo = process.env.BACKUPBOT_WRITE_CODE_CACHE;
  delete process.env.BACKUPBOT_WRITE_CODE_CACHE;
  let cachedData;
  if (!writeTo) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache (an older build): compile from source.
    }
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(join(file, '..'));
  mod.loaded = true;
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, join(file, '..'));
  if (process.env.BACKUPBOT_TRACE_START === '1') {
    const cache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
    process.stderr.write(`backupbot: ran ${file} (code cache: ${cache})\n`);
  }
  const writeCache = () => {
    const tmp = `${writeTo}.${process.pid}`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, writeTo);
  };
  return { cli: mod.exports, writeCache: writeTo ? writeCache : undefined };
}

async function run() {
  let cli;
  let writeCache;
  if (useBuild()) {
    if (existsSync(bundled)) ({ cli, writeCache } = loadBundle(bundled));
    else cli = await import(built);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    cli = await import('../cli/index.ts');
  }
  process.exitCode = await cli.main(process.argv.slice(2));
  if (writeCache) writeCache();
}

run().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
