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

const NL = 0x0a;
const CR = 0x0d;
/** Lines longer than this are cut (the rest is counted but not looked at). */
const MAX_LINE_BYTES = 16 * 1024;
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
const INTERESTING_PREFIX = new Uint8Array(65536);
for (const p of LINE_PREFIXES) INTERESTING_PREFIX[(p.charCodeAt(0) << 8) | p.charCodeAt(1)] = 1;
/** "[sender] io timeout ...", "[receiver] exceeded --max-alloc ...": any second byte. */
for (let b = 0; b < 256; b++) INTERESTING_PREFIX[(0x5b << 8) | b] = 1;
const SPACE = 0x20;
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

/** Phrases that only rsync itself prints: evidence that this is rsync output at all. */
const RSYNC_MARKERS = /^(?:sending incremental file list|receiving incremental file list|building file list|receiving file list|created directory |deleting |skipping non-regular file)/;

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

  let carry: Buffer | null = null;
  let carryOverlong = false;
  let lineNo = 0;
  let bytes = 0;
  let sawNul = false;
  let sawRsync = false;
  /** rsync -v (or --progress/--itemize) printed its file list header: it was verbose. */
  let sawFileList = false;
  /** Line number of the "total size is" line, while nothing but diagnostics follows it. */
  let summaryLine = 0;
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
    if (RSYNC_MARKERS.test(text)) {
      sawRsync = true;
      sawFileList = true;
    }
    sawOutput();
  }

  function handleLine(buf: Uint8Array, start: number, end: number): void {
    lineNo++;
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) return;
    // --progress rewrites its line with \r, and stderr can land on the same line, after the
    // last \r or straight after the progress figures: look at what follows them.
    if (buf[start] === CR || buf[start] === SPACE) {
      const line = (buf as Buffer).subarray(start, end);
      const lastCr = line.lastIndexOf(CR);
      const tail = lastCr === -1 ? line : line.subarray(lastCr + 1);
      const at = tail.indexOf(RSYNC);
      start += (lastCr === -1 ? 0 : lastCr + 1) + (at > 0 ? at : 0);
      if (end === start) return;
    }
    if (end - start < 2 || INTERESTING_PREFIX[(buf[start]! << 8) | buf[start + 1]!] !== 1) return sawOutput();
    handleText(decoder.decode(buf.subarray(start, end)));
  }

  function push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    bytes += chunk.length;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (!sawNul && buf.indexOf(0) !== -1) sawNul = true;
    let pos = 0;
    let nl = buf.indexOf(NL, 0);
    if (carry !== null) {
      const take = nl === -1 ? buf.length : nl;
      if (!carryOverlong) {
        const room = MAX_LINE_BYTES - carry.length;
        if (take > room) carryOverlong = true;
        carry = Buffer.concat([carry, buf.subarray(0, Math.min(take, room))]);
      }
      if (nl === -1) return;
      handleLine(carry, 0, carry.length);
      carry = null;
      carryOverlong = false;
      pos = nl + 1;
      nl = buf.indexOf(NL, pos);
    }
    while (nl !== -1) {
      handleLine(buf, pos, Math.min(nl, pos + MAX_LINE_BYTES));
      pos = nl + 1;
      nl = buf.indexOf(NL, pos);
    }
    if (pos < buf.length) {
      const rest = buf.length - pos;
      carryOverlong = rest > MAX_LINE_BYTES;
      // Copy: the caller may reuse its buffer after push() returns.
      carry = Buffer.from(buf.subarray(pos, pos + Math.min(rest, MAX_LINE_BYTES)));
    }
  }

  function end(): ParsedReport {
    if (carry !== null) {
      handleLine(carry, 0, carry.length);
      carry = null;
    }
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
      lines: lineNo,
      bytes,
    };
  }

  function verdict(): { code: number; reason: string | null; hint?: string } {
    if (bytes === 0) return { code: INCOMPLETE, reason: 'The upload is empty: the backup script sent no rsync output.', hint: HINT_EMPTY };
    const local = pickLocalExit(finalLines);
    if (local) return { code: local.code, reason: null };
    if (sawNul && !sawRsync) {
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
