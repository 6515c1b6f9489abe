#!/usr/bin/env node
// Entry point for `npx backupbot`: loads the TypeScript sources through tsx, so a
// fresh clone works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
