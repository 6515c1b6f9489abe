// Loaded with `node --import`: writes "package: NAME" to stderr for every module a process
// resolves inside node_modules, whether through import (a resolve hook) or require() (the
// CommonJS resolver, which the bundled CLI uses), so a test can see which libraries a
// command loads.
import Module, { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(found.url);
  if (m) process.stderr.write('package: ' + m[1] + '\\n');
  return found;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const found = resolveFilename.apply(this, args);
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(found);
  if (m) process.stderr.write(`package: ${m[1]}\n`);
  return found;
};
