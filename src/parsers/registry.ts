/**
 * Every tool backupbot reads, and the only place that lists them. Everything after parsing
 * (classify, store, Slack, CLI, digest, escalation) asks this module about a format and its
 * codes; none of it names a tool. Adding a tool: its folder, one line in TOOLS, fixtures,
 * README.
 */
import { borg } from './borg/index.ts';
import { stripJournalPrefix } from './collect.ts';
import { withDecoding } from './encoding.ts';
import { withWatch } from './watch.ts';
import { restic } from './restic/index.ts';
import { rsync } from './rsync/index.ts';
import { tsm } from './tsm/index.ts';
import { INCOMPLETE, unprovenReport, type CodeEntry, type ParseOptions, type ParsedReport, type StreamParser, type ToolDescriptor } from './types.ts';

/** In the order detection prefers them when two are equally sure. */
export const TOOLS: readonly ToolDescriptor[] = [rsync, tsm, restic, borg];

/** What --format, X-Report-Format and `server set --format` accept. */
export const FORMATS = ['auto', ...TOOLS.map((t) => t.name)] as ['auto', ...string[]];
export type Format = string;

/** The format of a log that matched no tool. */
export const UNKNOWN_FORMAT = 'unknown';
export const UNKNOWN_PARSER_VERSION = 'detect/1';

export function isFormat(value: string): boolean {
  return FORMATS.includes(value);
}

export function toolFor(format: string): ToolDescriptor | undefined {
  return TOOLS.find((t) => t.name === format);
}

/** How a format is written for people: "TSM", "restic"; the name itself for anything unknown. */
export function formatLabel(format: string): string {
  return toolFor(format)?.label ?? format;
}

/** What the tool calls the things it inspects ("files", "objects"). */
export function itemWordOf(format: string): string {
  return toolFor(format)?.itemWord ?? 'files';
}

/**
 * What a server's log must show for a canary to be proven: one line per tool the server may
 * upload (its default format, or every tool for "auto"). A tool whose log cannot say is named.
 */
export function canaryAdvice(format: string): string[] {
  const tools = format === 'auto' ? TOOLS : TOOLS.filter((t) => t.name === format);
  return tools.map((t) => (t.canaryProof ? `${t.label}: ${t.canaryProof}` : `${t.label}: its log never names the files it copies, so a canary cannot be proven and every run will be suspect`));
}

const expected = (): string => TOOLS.map((t) => t.label).join(', ');

const GENERIC: Readonly<Record<number, CodeEntry>> = {
  [INCOMPLETE]: {
    outcome: 'failed',
    meaning: 'No proof the backup finished',
    hint: 'The log does not show the backup tool finishing. Check that the backup script uploads the whole output of the tool (stdout and stderr) after it has ended.',
  },
};

/** Results with no report behind them ("missing": nothing arrived) carry the format 'none'. */
export const NO_REPORT_FORMAT = 'none';
const NO_REPORT: CodeEntry = {
  outcome: 'failed',
  meaning: 'No report arrived',
  hint: 'No report arrived for the last expected backup. Check on the customer server that the scheduled backup task is enabled and ran, that its upload step succeeded (look at the upload log or the curl exit code), and that the upload token is current. If the server was retired or is switched off on purpose, pause or remove it in backupbot.',
};

export interface CodeDescription extends CodeEntry {
  /** "rsync 23", "TSM 12": the code with its tool. */
  label: string;
  escalate: boolean;
}

/** What a code of a format means, what to do, and how it counts. Unknown codes are failures. */
export function describeCode(format: string, code: number): CodeDescription {
  const tool = toolFor(format);
  const entry = tool?.codes[code] ?? (format === NO_REPORT_FORMAT ? NO_REPORT : undefined) ?? GENERIC[code] ?? {
    outcome: 'failed' as const,
    meaning: `Unknown ${formatLabel(format)} code ${code}`,
    hint: `${formatLabel(format)} returned a code it does not document. Read the end of the log for the actual error.`,
  };
  return { ...entry, escalate: entry.escalate === true, label: codeLabel(format, code) };
}

/** The code as people should see it: with its tool ("rsync 23", "TSM 12"); "code -2" when no tool is known. */
export function codeLabel(format: string | null | undefined, code: number): string {
  const tool = format ? toolFor(format) : undefined;
  return tool ? `${tool.label} ${code}` : `code ${code}`;
}

/** Codes a tool documents (without -2), in order. */
export function documentedCodes(format: string): number[] {
  const tool = toolFor(format);
  if (!tool) return [];
  return Object.keys(tool.codes)
    .map(Number)
    .filter((c) => c >= 0)
    .sort((a, b) => a - b);
}

/** Bytes held back to recognise the tool before giving up on a log. */
const DETECT_LIMIT = 64 * 1024;
const detectDecoder = new TextDecoder('utf-8');

/** Which tool wrote this text, or null when none shows any sign of it. */
export function detectFormat(head: string): ToolDescriptor | null {
  let best: ToolDescriptor | null = null;
  let bestScore = 0;
  for (const tool of TOOLS) {
    const score = tool.detect(head);
    if (score > bestScore) {
      best = tool;
      bestScore = score;
    }
  }
  return best;
}

/** The first tool sure about this one line, in TOOLS order. */
function sureOf(line: string): ToolDescriptor | null {
  for (const tool of TOOLS) if (tool.detect(line) >= 1) return tool;
  // A systemd journal copy of the tool's output ("Nov 23 02:15:36 fs01 restic[5200]: ...").
  const bare = stripJournalPrefix(line);
  if (bare !== line) for (const tool of TOOLS) if (tool.detect(bare) >= 1) return tool;
  return null;
}

/**
 * `--format auto`: holds the first bytes, line by line, until a line that only one tool
 * prints (or 64 KiB, or the end), then hands everything to that tool's parser. Only the
 * first 64 KiB are looked at, line by line, so the choice never depends on how the upload
 * was cut into chunks. A log no tool recognises is -2.
 */
function createAutoParser(options?: ParseOptions): StreamParser {
  let held: Buffer = Buffer.alloc(0);
  /** Bytes of `held` already looked at (a whole number of lines). */
  let scanned = 0;
  let inner: StreamParser | null = null;

  function start(tool: ToolDescriptor | null): void {
    inner = tool ? tool.createParser(options) : unknownParser();
    if (held.length > 0) inner.push(held);
    held = Buffer.alloc(0);
  }

  function head(): string {
    return detectDecoder.decode(held.subarray(0, DETECT_LIMIT));
  }

  return {
    push(chunk) {
      if (inner) return inner.push(chunk);
      if (chunk.length === 0) return;
      // A copy: the caller may reuse its buffer after push() returns.
      held = Buffer.concat([held, chunk]);
      const limit = Math.min(held.length, DETECT_LIMIT);
      for (let nl = held.indexOf(0x0a, scanned); nl !== -1 && nl < limit; nl = held.indexOf(0x0a, scanned)) {
        const tool = sureOf(detectDecoder.decode(held.subarray(scanned, nl)));
        scanned = nl + 1;
        if (tool) return start(tool);
      }
      if (held.length >= DETECT_LIMIT) start(detectFormat(head()));
    },
    end() {
      if (!inner) {
        // The last line may have no newline.
        const rest = held.subarray(scanned, Math.min(held.length, DETECT_LIMIT));
        start(sureOf(detectDecoder.decode(rest)) ?? detectFormat(head()));
      }
      return inner!.end();
    },
  };
}

/** A log that matched no tool: -2, with what was expected. */
function unknownParser(): StreamParser {
  let bytes = 0;
  let lines = 0;
  let sawNul = false;
  let lastByte = 0x0a;
  return {
    push(chunk) {
      bytes += chunk.length;
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      if (!sawNul && buf.indexOf(0) !== -1) sawNul = true;
      for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) lines++;
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
    },
    end(): ParsedReport {
      const what = `the output of ${expected()}`;
      let reason: string;
      let hint: string;
      if (bytes === 0) {
        reason = 'The upload is empty: the backup script sent no output of any backup tool.';
        hint =
          'Most tools print nothing on success unless asked to: run rsync with -v or --stats so the log proves completion, borg create with --stats --show-rc, restic backup without --quiet; and upload both stdout and stderr.';
      } else if (sawNul) {
        reason = `The upload is binary data, not ${what}: check what the backup script uploads.`;
        hint = 'Upload the text the backup tool printed (its stdout and stderr, or its log file), not an archive or a binary file.';
      } else {
        reason = `Nothing in the upload looks like ${what}: check what the backup script uploads.`;
        hint = `Upload the output of the backup tool itself (${expected()}), with both stdout and stderr, or force the format with X-Report-Format.`;
      }
      return unprovenReport({
        format: UNKNOWN_FORMAT,
        parserVersion: UNKNOWN_PARSER_VERSION,
        reason,
        hint,
        lines: lines + (bytes > 0 && lastByte !== 0x0a ? 1 : 0),
        bytes,
      });
    },
  };
}

/** A parser for a format ('auto' detects it), reading any text encoding. */
export function createParser(format: Format, options?: ParseOptions): StreamParser {
  const tool = toolFor(format);
  if (format !== 'auto' && !tool) throw new Error(`Unknown format "${format}"; expected one of ${FORMATS.join(', ')}.`);
  const parser = tool ? tool.createParser(options) : createAutoParser(options);
  // The canary search sees the decoded text, so a UTF-16 log's paths are found too.
  return withDecoding(options?.watchPaths ? withWatch(parser, options.watchPaths) : parser);
}

/** The parser version a format's results carry (for reparse decisions and failed parses). */
export function parserVersionOf(format: string): string {
  return toolFor(format)?.parserVersion ?? UNKNOWN_PARSER_VERSION;
}

/**
 * The advice to show for a stored result: its own case-specific hint when the parser gave
 * one (an empty log, a killed run), else the code table's hint for its tool and code.
 */
export function adviceFor(result: { format: string; code: number; hint?: string | null }): string {
  return result.hint ?? describeCode(result.format, result.code).hint;
}
