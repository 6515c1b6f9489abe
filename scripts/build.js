#!/usr/bin/env node
// `npm run build`, and the prepare step of `npm ci`: compiles src/ into dist/ so that
// `npx backupbot` starts from JavaScript. dist/ is rebuilt from scratch (a removed source
// file must not live on as a stale module) and dist/.built is written last: the bin uses
// dist/ only when that stamp is newer than every source file.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

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
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
