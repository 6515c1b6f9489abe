#!/usr/bin/env node
// Entry point for `npx backupbot`. `npm ci` compiles src/ into dist/ (the prepare script),
// and this runs that JavaScript: Node starts it in a fraction of the time tsx needs to
// transpile the tree: the bundle in dist/bundle/ (fewer files to load), or else tsc's
// dist/cli/index.js, the same code unbundled (see scripts/build.js). When dist/ is missing,
// or a source file changed after the last build (someone is developing, or pulled without
// `npm ci`), it runs the TypeScript sources through tsx instead, so what runs is always what
// the sources say.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundled = join(root, 'dist', 'bundle', 'cli.js');
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

let cli;
if (useBuild()) {
  cli = await import(existsSync(bundled) ? bundled : built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../cli/index.ts');
}
process.exitCode = await cli.main(process.argv.slice(2));
