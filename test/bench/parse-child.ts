/**
 * Child process of the parse benchmark: reads one file through createRsyncParser() and
 * prints one JSON line. It runs alone so that maxRSS is the parser's (plus Node and tsx).
 *
 *   node --import tsx test/bench/parse-child.ts FILE [--read-only]
 *
 * --read-only streams the file the same way but drops the chunks: the cost of reading alone.
 */
import { readFileChunks } from '../../src/cli/read-input.ts';
import { createRsyncParser } from '../../src/parsers/rsync.ts';

export interface ParseChildResult {
  ms: number;
  bytes: number;
  lines: number;
  code: number;
  fileErrorCount: number;
  /** maxRSS (KiB) before the first byte was read: Node + tsx + the parser module. */
  baselineRssKiB: number;
  /** maxRSS (KiB) at the end: the peak of the whole process. */
  peakRssKiB: number;
}

const NO_PARSER = {
  push(_chunk: Uint8Array): void {},
  end: () => ({ bytes: 0, lines: 0, code: 0, fileErrorCount: 0 }),
};

async function main(file: string, readOnly: boolean): Promise<ParseChildResult> {
  const baselineRssKiB = process.resourceUsage().maxRSS;
  const start = performance.now();
  const parser = readOnly ? NO_PARSER : createRsyncParser();
  // The same reader `backupbot parse FILE` uses.
  for await (const chunk of readFileChunks(file)) parser.push(chunk);
  const report = parser.end();
  const ms = performance.now() - start;
  return {
    ms,
    bytes: report.bytes,
    lines: report.lines,
    code: report.code,
    fileErrorCount: report.fileErrorCount,
    baselineRssKiB,
    peakRssKiB: process.resourceUsage().maxRSS,
  };
}

const file = process.argv[2];
if (!file) {
  console.error('usage: parse-child.ts FILE [--read-only]');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await main(file, process.argv.includes('--read-only')))}\n`);
