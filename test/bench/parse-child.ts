/**
 * Child process of the parse benchmark: reads one file through the parser that uploads use
 * (createParser: UTF-16 sniffing, then detection with --format auto) and prints one JSON
 * line. It runs alone so that maxRSS is the parser's (plus Node and tsx).
 *
 *   node --import tsx test/bench/parse-child.ts FILE [--read-only] [--format auto|rsync|tsm|restic|borg]
 *
 * --read-only streams the file the same way but drops the chunks: the cost of reading alone.
 */
import { readFileChunks } from '../../src/cli/read-input.ts';
import { createParser } from '../../src/parsers/index.ts';

export interface ParseChildResult {
  ms: number;
  bytes: number;
  lines: number;
  format: string;
  code: number;
  fileErrorCount: number;
  /** maxRSS (KiB) before the first byte was read: Node + tsx + the parser module. */
  baselineRssKiB: number;
  /** maxRSS (KiB) at the end: the peak of the whole process. */
  peakRssKiB: number;
}

const NO_PARSER = {
  push(_chunk: Uint8Array): void {},
  end: () => ({ bytes: 0, lines: 0, format: 'none', code: 0, fileErrorCount: 0 }),
};

async function main(file: string, readOnly: boolean, format: string): Promise<ParseChildResult> {
  const baselineRssKiB = process.resourceUsage().maxRSS;
  const start = performance.now();
  const parser = readOnly ? NO_PARSER : createParser(format);
  // The same reader `backupbot parse FILE` uses.
  for await (const chunk of readFileChunks(file)) parser.push(chunk);
  const report = parser.end();
  const ms = performance.now() - start;
  return {
    ms,
    bytes: report.bytes,
    lines: report.lines,
    format: report.format,
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
const at = process.argv.indexOf('--format');
const format = at === -1 ? 'auto' : process.argv[at + 1]!;
process.stdout.write(`${JSON.stringify(await main(file, process.argv.includes('--read-only'), format))}\n`);
