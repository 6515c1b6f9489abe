#!/usr/bin/env node
// `npm run build`, and the prepare step of `npm ci`: compiles src/ into dist/ so that
// `npx backupbot` starts from JavaScript. dist/ is rebuilt from scratch (a removed source
// file must not live on as a stale module) and dist/.built is written last: the bin uses
// dist/ only when that stamp is newer than every source file.
//
// Then esbuild (installed with tsx) bundles the CLI into dist/bundle/: cli.js holds what every
// command needs (commander, the parsers), and each command's own modules are a chunk loaded
// when it runs. Node then resolves, reads and compiles a handful of files at start instead of
// fifty, and no CommonJS package has to be scanned for its exports: 10-15 % off the start
// of `backupbot --help` and `parse` (BENCHMARKS.md). Packages with native code, WebAssembly
// or data files stay external. Without esbuild the bin runs tsc's dist/cli/index.js, which
// behaves the same.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
await bundle();
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);

async function bundle() {
  const out = join(dist, 'bundle');
  let esbuild;
  try {
    const requireFromTsx = createRequire(createRequire(join(root, 'package.json')).resolve('tsx/package.json'));
    esbuild = await import(pathToFileURL(requireFromTsx.resolve('esbuild')).href);
  } catch {
    console.warn('backupbot build: esbuild (installed with tsx) was not found; npx backupbot runs the unbundled dist/cli/index.js, which starts a little more slowly.');
    return;
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
    .filter((name) => !BUNDLED.has(name))
    .flatMap((name) => [name, `${name}/*`]);
  try {
    await esbuild.build({
      entryPoints: { cli: join(root, 'src', 'cli', 'index.ts') },
      // Chunks sit next to cli.js, two levels under the root like src/*/x.ts, so paths
      // found from import.meta.url (../../package.json, ../../drizzle) still resolve.
      outdir: out,
      chunkNames: '[name]-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external,
      keepNames: true,
      sourcemap: true,
      logLevel: 'error',
      // Bundled CommonJS (commander) calls require() for Node's own modules.
      banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    });
  } catch {
    rmSync(out, { recursive: true, force: true });
    console.warn('backupbot build: bundling the CLI failed (see above); npx backupbot runs the unbundled dist/cli/index.js, which starts a little more slowly.');
  }
}
