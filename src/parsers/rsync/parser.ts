/**
 * Streaming parser for rsync's combined stdout+stderr (rsync 3.0 to 3.5, cwRsync).
 *
 * It reads the log line by line without ever holding all of it, and decides the
 * completion code from evidence only:
 *   - the last closing line "rsync error|warning: ... (code N) at file(line) [role=version]"
 *     gives N (a trailing SIGUSR1 line from a child is skipped in favour of the real code);
 *   - otherwise "total size is ..." as the last thing rsync said proves a clean finish (0);
 *   - otherwise there is no proof, and the code is -2.
 */
import {
  INCOMPLETE,
  isExceptable,
  parseWhole,
  type FileError,
  type FileErrorKind,
  type FinalLine,
  type ParseOptions,
  type ParsedReport,
  type StreamParser,
  type TransferStats,
} from '../types.ts';
import { createLineSplitter, skipTable } from '../lines.ts';
import { parseCount, parseDecimal } from '../numbers.ts';

/** rsync/2: case-specific hints (empty log, no -v, killed run), common stats names, UTF-16 input. */
export const RSYNC_PARSER_VERSION = 'rsync/2';

/** rsync is silent on success unless asked to talk: without -v or --stats nothing proves the end. */
export const HINT_NOT_VERBOSE =
  "rsync printed no file list and no closing summary, which is what it does when it is not verbose: run rsync with -v or --stats so the log proves completion (and upload both stdout and stderr).";
const HINT_EMPTY =
  'The upload is empty (rsync prints nothing on success unless it is verbose): run rsync with -v or --stats so the log proves completion, and check that the script uploads both stdout and stderr.';
const HINT_STOPPED =
  "rsync was listing files and stopped before its closing summary, without an error of its own: it was killed (kill -9, a task-scheduler time limit, the out-of-memory killer, a shutdown) or the log was cut off. That is not a network failure: find what stops the backup on the customer server, then re-run it.";

const CR = 0x0d;
const MAX_MESSAGES = 50;
const MAX_FINAL_LINES = 20;
const DEFAULT_MAX_FILE_ERRORS = 1000;
const SIGUSR1_CODE = 19;

/**
 * How every line shape we look at begins. Most lines of a verbose log are file names; a
 * lookup on a line's first two bytes lets almost all of them through without decoding.
 * Keep this in step with the patterns below (the fixture tests fail when it is not).
 */
const LINE_PREFIXES = [
  'rsync', // closing lines and "rsync: ..." diagnostics
  'file has vanished',
  'directory has vanished',
  'cannot delete',
  'symlink has no referent',
  'sent ',
  'total size is',
  'Number of',
  'Total ',
  'Literal data',
  'Matched data',
  'File list',
  '@ERROR',
  'ERROR',
  'WARNING',
  'IO error',
  'Deletions stopped',
  'ssh',
  'sh: ',
  'bash: ',
  'Connection ',
  'Could not resolve',
  'Permission denied',
  'Host key verification',
  'kex_exchange',
  'cygwin warning',
  'sending incremental',
  'receiving ',
  'building file list',
  'created directory',
  'deleting ',
  'skipping non-regular',
];
const SPACE = 0x20;
const BRACKET = 0x5b;
/**
 * The lines the splitter hands over: those starting with one of the prefixes' first two
 * bytes, "[sender] io timeout ...", "[receiver] exceeded --max-alloc ..." (any second byte),
 * and those where --progress's \r or blanks come first. Every other line is file-list
 * output, counted without a call.
 */
const SKIP = skipTable(LINE_PREFIXES, [BRACKET, CR, SPACE]);

/** What the start of a line says it is, before any decoding. */
const OUTPUT = 0;
const MARKER = 1;
const DECODE = 2;
type LineClass = typeof OUTPUT | typeof MARKER | typeof DECODE;
interface Prefix {
  bytes: Uint8Array;
  is: LineClass;
}
/**
 * The whole prefixes by their first two bytes, rsync's markers (below) before the others: a
 * marker line is known from its bytes, a line is decoded only when it starts with a prefix.
 */
const PREFIXES_BY_START = new Map<number, Prefix[]>();
function addPrefix(text: string, is: LineClass): void {
  const key = (text.charCodeAt(0) << 8) | text.charCodeAt(1);
  const list = PREFIXES_BY_START.get(key) ?? [];
  list.push({ bytes: Buffer.from(text, 'latin1'), is });
  PREFIXES_BY_START.set(key, list);
}

function startsWith(buf: Buffer, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

function classify(buf: Buffer, start: number, end: number): LineClass {
  if (end - start < 2) return OUTPUT;
  if (buf[start] === BRACKET) return DECODE;
  const candidates = PREFIXES_BY_START.get((buf[start]! << 8) | buf[start + 1]!);
  if (candidates !== undefined) for (const p of candidates) if (startsWith(buf, start, end, p.bytes)) return p.is;
  return OUTPUT;
}

const RSYNC = Buffer.from('rsync');

const FINAL_LINE =
  /^rsync (?:error|warning): (.*?) \(code (\d+)\)(?: at ([^\s(]+)\((\d+)\))?(?: \[([A-Za-z]+)=([^\]]*)\])?\s*$/;
const SENT_LINE = /^sent (\S+) bytes\s+received (\S+) bytes\s+(\S+) bytes\/sec\s*$/;
const TOTAL_LINE = /^total size is (\S+)\s+speedup is (\S+)( \(DRY RUN\))?\s*$/;
/** "rsync: [sender] msg" (3.2+) or "rsync: msg" (3.0/3.1). */
const RSYNC_PREFIX = /^rsync: (?:\[([A-Za-z]+)\] )?(.*)$/;

const FILE_ERROR_SHAPES: ReadonlyArray<readonly [RegExp, FileErrorKind]> = [
  [/^send_files failed to open "(.*)": /, 'open'],
  [/^(?:recv_files: )?failed to open "(.*)"/, 'open'],
  [/^link_stat "(.*)"(?: \(in [^)]*\))? failed: /, 'missing'],
  [/^opendir "(.*)" failed: /, 'opendir'],
  [/^read errors mapping "(.*)": /, 'read'],
  [/^write failed on "(.*)": /, 'write'],
  [/^(?:recv_generator: )?mkdir "(.*)" failed: /, 'mkdir'],
  [/^failed to set times on "(.*)": /, 'set_times'],
  [/^failed to set permissions on "(.*)": /, 'set_perms'],
  [/^(?:chown|lchown|failed to set ownership on) "(.*)"/, 'set_owner'],
  [/^delete_file: (?:unlink|rmdir|robust_unlink)\((.*)\) failed: /, 'delete'],
  [/^rename "(.*)" -> "/, 'rename'],
  [/^mkstemp "(.*)" failed: /, 'mkstemp'],
  [/^readlink_stat\("(.*)"\) failed: /, 'readlink'],
  [/^readlink "(.*)" failed: /, 'readlink'],
  [/^change_dir "(.*)" failed: /, 'change_dir'],
  [/^(?:l?stat|do_stat) "(.*)" failed: /, 'stat'],
  [/^open "(.*)" failed: /, 'open'],
];

/** Lines without the "rsync:" prefix that still name a file. */
const BARE_FILE_ERRORS: ReadonlyArray<readonly [RegExp, FileErrorKind]> = [
  [/^(?:file|directory) has vanished: "(.*)"\s*$/, 'vanished'],
  [/^cannot delete non-empty directory: (.*?)\s*$/, 'delete_nonempty'],
  [/^symlink has no referent: "(.*)"\s*$/, 'symlink'],
];

/** Lines that are diagnostics about the run rather than about one file. */
const BARE_MESSAGES =
  /^(?:@ERROR|ERROR|WARNING|IO error encountered|Deletions stopped due to|ssh: |ssh_exchange_identification|Connection (?:closed|reset|refused|timed out)|Permission denied|Host key verification failed|cygwin warning|Could not resolve|kex_exchange_identification|sh: |bash: |\[[A-Za-z]+\] )/;

const STATS_LINES: ReadonlyArray<readonly [RegExp, keyof TransferStats]> = [
  [/^Number of files: (\S+)/, 'files'],
  [/^Number of created files: (\S+)/, 'filesCreated'],
  [/^Number of deleted files: (\S+)/, 'filesDeleted'],
  [/^Number of (?:regular )?files transferred: (\S+)/, 'filesTransferred'],
  [/^Total file size: (\S+) bytes/, 'totalFileSize'],
  [/^Total transferred file size: (\S+) bytes/, 'transferredFileSize'],
  [/^Literal data: (\S+) bytes/, 'literalData'],
  [/^Matched data: (\S+) bytes/, 'matchedData'],
  [/^File list size: (\S+)/, 'fileListSize'],
  [/^Total bytes sent: (\S+)/, 'bytesSent'],
  [/^Total bytes received: (\S+)/, 'bytesReceived'],
];

/**
 * Phrases that only rsync itself prints, at the start of a line: evidence that this is rsync
 * output at all, and (file-list headers, "deleting ...") that it was verbose. No pattern
 * above matches a line that starts with one, so these are compared as bytes, undecoded: a
 * log that deletes much has a "deleting " line per file.
 */
const RSYNC_MARKERS = [
  'sending incremental file list',
  'receiving incremental file list',
  'building file list',
  'receiving file list',
  'created directory ',
  'deleting ',
  'skipping non-regular file',
];
for (const m of RSYNC_MARKERS) addPrefix(m, MARKER);
for (const p of LINE_PREFIXES) addPrefix(p, DECODE);

const decoder = new TextDecoder('utf-8');

/** rsync writes unprintable bytes of a name as \#ooo (octal); turn them back into bytes. */
export function unescapeRsyncPath(text: string): string {
  if (!text.includes('\\#')) return text;
  const parts: Uint8Array[] = [];
  const re = /\\#([0-7]{3})/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'));
    parts.push(Uint8Array.of(parseInt(m[1]!, 8) & 0xff));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return decoder.decode(Buffer.concat(parts));
}

export function createRsyncParser(options: ParseOptions = {}): StreamParser {
  const isExcepted = options.isExcepted ?? (() => false);
  const maxFileErrors = options.maxFileErrors ?? DEFAULT_MAX_FILE_ERRORS;

  let lineNo = 0;
  let sawRsync = false;
  /** rsync -v (or --progress/--itemize) printed its file list header: it was verbose. */
  let sawFileList = false;
  /** Line number of the "total size is" line, while nothing but diagnostics follows it. */
  let summaryLine = 0;
  /** Set by lines handed over; a skipped line after the summary says the same (see end()). */
  let outputAfterSummary = false;

  const finalLines: FinalLine[] = [];
  const fileErrors: FileError[] = [];
  const messages: string[] = [];
  const stats: TransferStats = {};
  let fileErrorCount = 0;
  let exceptedCount = 0;
  let vanishedCount = 0;

  function addMessage(text: string): void {
    if (messages.length < MAX_MESSAGES) messages.push(text);
  }

  function addFileError(rawPath: string, kind: FileErrorKind, message: string): void {
    const path = unescapeRsyncPath(rawPath);
    const excepted = isExceptable(kind) && isExcepted(path);
    fileErrorCount++;
    if (excepted) exceptedCount++;
    else if (kind === 'vanished') vanishedCount++;
    if (fileErrors.length < maxFileErrors) fileErrors.push({ path, kind, message, line: lineNo, excepted });
  }

  /** A line that is neither a diagnostic nor blank: rsync was still working. */
  function sawOutput(): void {
    if (summaryLine) outputAfterSummary = true;
  }

  function handleText(text: string): void {
    const final = FINAL_LINE.exec(text);
    if (final) {
      sawRsync = true;
      if (finalLines.length >= MAX_FINAL_LINES) finalLines.shift();
      finalLines.push({
        code: Number(final[2]),
        role: final[5] ?? null,
        version: final[6] ?? null,
        text,
        line: lineNo,
      });
      return;
    }
    const prefixed = RSYNC_PREFIX.exec(text);
    if (prefixed) {
      sawRsync = true;
      const body = prefixed[2]!;
      for (const [re, kind] of FILE_ERROR_SHAPES) {
        const m = re.exec(body);
        if (m) return addFileError(m[1]!, kind, body);
      }
      const quoted = /"(.+?)"/.exec(body);
      if (quoted && /\(\d+\)\s*$/.test(body)) return addFileError(quoted[1]!, 'other', body);
      return addMessage(body);
    }
    for (const [re, kind] of BARE_FILE_ERRORS) {
      const m = re.exec(text);
      if (m) {
        sawRsync = true;
        return addFileError(m[1]!, kind, text);
      }
    }
    const sent = SENT_LINE.exec(text);
    if (sent) {
      sawRsync = true;
      stats.bytesSent = parseCount(sent[1]!);
      stats.bytesReceived = parseCount(sent[2]!);
      stats.bytesPerSec = parseDecimal(sent[3]!);
      return;
    }
    const total = TOTAL_LINE.exec(text);
    if (total) {
      sawRsync = true;
      stats.totalSize = parseCount(total[1]!);
      stats.speedup = parseDecimal(total[2]!);
      stats.dryRun = total[3] !== undefined;
      summaryLine = lineNo;
      outputAfterSummary = false;
      return;
    }
    for (const [re, key] of STATS_LINES) {
      const m = re.exec(text);
      if (m) {
        const n = parseCount(m[1]!);
        if (n !== undefined) (stats as Record<string, number>)[key] = n;
        return;
      }
    }
    if (BARE_MESSAGES.test(text)) return addMessage(text);
    sawOutput();
  }

  function handleLine(buf: Buffer, start: number, end: number, n: number): void {
    lineNo = n;
    if (end === start) return;
    // --progress rewrites its line with \r, and stderr can land on the same line, after the
    // last \r or straight after the progress figures: look at what follows them.
    if (buf[start] === CR || buf[start] === SPACE) {
      const line = buf.subarray(start, end);
      const lastCr = line.lastIndexOf(CR);
      const tail = lastCr === -1 ? line : line.subarray(lastCr + 1);
      const at = tail.indexOf(RSYNC);
      start += (lastCr === -1 ? 0 : lastCr + 1) + (at > 0 ? at : 0);
      if (end === start) return;
    }
    const is = classify(buf, start, end);
    if (is === DECODE) return handleText(decoder.decode(buf.subarray(start, end)));
    if (is === MARKER) {
      sawRsync = true;
      sawFileList = true;
    }
    sawOutput();
  }

  const lines = createLineSplitter(handleLine, SKIP);

  function end(): ParsedReport {
    const lineCount = lines.end();
    // A file-list line the splitter skipped after the summary is output after it too.
    if (summaryLine > 0 && lines.lastSkipped > summaryLine) outputAfterSummary = true;
    const { code, reason, hint = null } = verdict();
    return {
      format: 'rsync',
      parserVersion: RSYNC_PARSER_VERSION,
      code,
      completed: summaryLine > 0 && !outputAfterSummary,
      reason,
      hint,
      finalLines,
      fileErrors,
      fileErrorCount,
      exceptedCount,
      vanishedCount,
      messages,
      stats: commonStats(stats, fileErrorCount - vanishedCount),
      lines: lineCount,
      bytes: lines.bytes,
    };
  }

  function verdict(): { code: number; reason: string | null; hint?: string } {
    if (lines.bytes === 0) return { code: INCOMPLETE, reason: 'The upload is empty: the backup script sent no rsync output.', hint: HINT_EMPTY };
    const local = pickLocalExit(finalLines);
    if (local) return { code: local.code, reason: null };
    if (lines.sawNul && !sawRsync) {
      return { code: INCOMPLETE, reason: 'The upload is binary data, not rsync output: check what the backup script uploads.' };
    }
    if (!sawRsync) {
      // Often rsync itself, run without -v: -i or --info=progress2 lines prove nothing.
      return { code: INCOMPLETE, reason: 'Nothing in the upload looks like rsync output: check what the backup script uploads.', hint: HINT_NOT_VERBOSE };
    }
    if (summaryLine === 0) {
      return {
        code: INCOMPLETE,
        reason: "The log ends before rsync's closing summary ('total size is ...'): the transfer did not finish.",
        hint: sawFileList ? HINT_STOPPED : HINT_NOT_VERBOSE,
      };
    }
    if (outputAfterSummary) {
      return { code: INCOMPLETE, reason: "rsync kept writing after its closing summary, so the summary does not prove the end of the run." };
    }
    if (fileErrorCount > 0) {
      return {
        code: INCOMPLETE,
        reason: "File errors are logged but rsync's closing line (code 23 or 24) is missing: the log looks cut off.",
      };
    }
    return { code: 0, reason: null };
  }

  function push(chunk: Uint8Array): void {
    // NUL bytes only matter for a log with no sign of rsync (verdict()); once one shows, the
    // rest need not be scanned for them.
    if (sawRsync) lines.stopNulScan();
    lines.push(chunk);
  }

  return { push, end };
}

/** rsync's numbers under the names every tool shares (types.ts), next to rsync's own. */
function commonStats(s: TransferStats, failed: number): TransferStats {
  const out: TransferStats = { ...s };
  if (s.files !== undefined) out.filesInspected = s.files;
  if (s.filesCreated !== undefined) out.filesNew = s.filesCreated;
  if (s.filesTransferred !== undefined) out.filesChanged = s.filesTransferred;
  if (s.totalSize !== undefined) out.bytesProcessed = s.totalSize;
  if (s.literalData !== undefined) out.bytesAdded = s.literalData;
  if (failed > 0) out.filesFailed = failed;
  return out;
}

/**
 * Several closing lines can appear: the remote side's, then the local one's, and sometimes
 * a child's "received SIGUSR1 (code 19)" printed after the parent's real exit. The local
 * rsync speaks last, so take the last line that is not that internal signal.
 */
export function pickLocalExit(lines: readonly FinalLine[]): FinalLine | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.code !== SIGUSR1_CODE) return lines[i];
  }
  return lines[lines.length - 1];
}

/** Parse a whole rsync log held in memory (tests and small inputs). */
export const parseRsync = (input: Uint8Array | string, options?: ParseOptions): ParsedReport => parseWhole(createRsyncParser(options), input);
