/**
 * Streaming parser for `borg create` output (borg 1.1 to 2.0, and borgmatic, which passes
 * borg's lines through): plain text with --list / --stats / --show-rc, --log-json (one JSON
 * object per line), and the --json statistics document. Completion proof, best first:
 *   - "terminating with <success|warning|error|signal> status, rc N" (--show-rc) gives N;
 *   - else the --stats block (printed only after the archive is saved) or the --json
 *     document proves the end: 1 when borg warned about files, else 0;
 *   - else -2.
 */
import { createCollector, stripAnsi, stripJournalPrefix } from '../collect.ts';
import { createLineSplitter, textOf } from '../lines.ts';
import { INCOMPLETE, parseWhole, type FileErrorKind, type ParseOptions, type ParsedReport, type StreamParser, type TransferStats } from '../types.ts';
import { parseSize } from '../units.ts';

export const BORG_PARSER_VERSION = 'borg/1';

const HINT_SILENT =
  "borg create prints nothing on success unless asked to: run it with --stats --show-rc (and --list for the file list) so the log proves completion, and upload its stderr, where borg writes all of that.";
const HINT_STOPPED =
  "borg was listing files and stopped before its closing output: it was killed (kill -9, a task-scheduler time limit, the out-of-memory killer, a shutdown) or the log was cut off. Find what stops the backup on the customer server, then re-run it.";

const RC_LINE = /terminating with (success|warning|error|signal) status, rc (-?\d+)/;
/** Python's argparse: "borg create: error: argument ARCHIVE: ...", then exit status 2. */
const USAGE_ERROR = /^borg(?: [a-z-]+)*: error: (.*)$/;
/** "PATH: open: [Errno 13] Permission denied: 'x'", "PATH: [Errno 2] No such file or directory: 'x'" */
const OS_ERROR = /^(.+?): (?:([a-z_]+): )?\[Errno (\d+)\] (.+)$/;
const CHANGED = /^(.+): (file changed while we backed it up|file type or inode changed while we backed it up \(race condition, skipped file\))$/;
const STATS_ARCHIVE = /^This archive: +([\d.,]+ [kMGTPE]?B) +([\d.,]+ [kMGTPE]?B) +([\d.,]+ [kMGTPE]?B)/;
/** "Duration: 0.27 seconds", "Duration: 1 minutes 2.50 seconds", "Duration: 2 hours 3 minutes 4.00 seconds" */
const DURATION = /^Duration: (?:(\d+) days? )?(?:(\d+) hours? )?(?:(\d+) minutes? )?([\d.]+) seconds?/;

/** --list status letters (borg create docs, "Item flags"). */
const LIST_FLAGS = new Set(['A', 'M', 'U', 'E', 'C', 'd', 'b', 'c', 'h', 's', 'f', 'i', '?', 'x', '-']);

const FILE_STATUS_PREFIX = Buffer.from('{"type": "file_status", "status": "');

function kindFor(op: string | undefined, errno: number): FileErrorKind {
  if (errno === 2) return op ? 'vanished' : 'missing';
  if (errno === 13 || errno === 1) return 'unreadable';
  if (op === 'stat' || op === 'lstat') return 'stat';
  if (op === 'read' || op === 'open' || op === 'dir_open') return 'unreadable';
  return 'other';
}

function errorHint(text: string): string | null {
  if (/^Repository .+ does not exist\.$/.test(text)) {
    return 'borg found no repository at the address in the script: check the address (BORG_REPO), and that the backup target is up and its storage mounted.';
  }
  if (/^passphrase supplied in BORG_PASSPHRASE.* is incorrect/.test(text)) {
    return 'The passphrase given to borg (BORG_PASSPHRASE / BORG_PASSCOMMAND) does not open the repository key. Fix it in the backup script.';
  }
  if (/^Archive .+ already exists$/.test(text)) {
    return 'The archive name is taken: put the date and time in it (e.g. {hostname}-{now}) in the backup script.';
  }
  if (/^Failed to create\/acquire the lock/.test(text)) {
    return "Another borg holds the repository lock (a prune, a check, a crashed run). If none is running, run 'borg break-lock' and re-run the backup.";
  }
  if (/^Connection closed by remote host|^Remote: /.test(text)) {
    return 'The connection to the backup target failed or dropped: check the target and the network, then re-run the backup.';
  }
  return null;
}

interface LogJson {
  type?: string;
  message?: string;
  levelname?: string;
  status?: string;
  path?: string;
}

export function createBorgParser(options: ParseOptions = {}): StreamParser {
  const collect = createCollector(options);
  const stats: TransferStats = {};
  let sawBorg = false;
  let sawList = false;
  let rc: { code: number; line: number } | null = null;
  /** Line of the last line of a --stats block (the dashes after "Chunk index"), or of the --json document. */
  let statsEnd = 0;
  let inJsonDoc = false;
  let warnings = 0;
  let hint: string | null = null;
  let usageError = 0;
  const counts = { A: 0, M: 0, U: 0, E: 0, C: 0, dry: 0 };
  /** File counts from borg 1.4+/2 --stats ("Added files: N"), used when there is no --list. */
  const listed: { A?: number; U?: number; M?: number } = {};
  let sizes = false;

  function listFlag(flag: string): void {
    sawList = true;
    switch (flag) {
      case 'A':
        counts.A++;
        break;
      case 'M':
        counts.M++;
        break;
      case 'U':
        counts.U++;
        break;
      case 'E':
        counts.E++;
        break;
      case 'C':
        counts.C++;
        break;
      case '-':
        counts.dry++;
        break;
      default:
        break;
    }
  }

  /**
   * The lines of a --stats block, wherever they are (borg 1.1-1.4 frame them with dashes and
   * a size table; borg 2 prints "Original size:" / "Deduplicated size:" lines instead).
   * The block is printed only after the archive was saved: once it names the archive, its
   * file count and its size, it proves the end.
   */
  function statsLine(text: string, line: number): boolean {
    let m: RegExpExecArray | null;
    const c = text.charCodeAt(0);
    // Cheap guard: every stats line starts with one of these capitals.
    if (c !== 0x41 /* A */ && c !== 0x4e /* N */ && c !== 0x44 /* D */ && c !== 0x54 /* T */ && c !== 0x4f /* O */ && c !== 0x55 /* U */ && c !== 0x4d /* M */ && c !== 0x45 /* E */ && c !== 0x46 /* F */) return false;
    if ((m = /^Archive name: (.*)$/.exec(text))) stats.archiveName = m[1]!;
    else if ((m = /^Number of files: (\d+)/.exec(text))) stats.filesInspected = Number(m[1]);
    else if ((m = DURATION.exec(text))) {
      const secs = Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4]);
      stats.durationSeconds = Math.round(secs * 100) / 100;
    } else if ((m = STATS_ARCHIVE.exec(text))) {
      const orig = parseSize(m[1]!);
      const comp = parseSize(m[2]!);
      const dedup = parseSize(m[3]!);
      if (orig !== undefined) stats.bytesProcessed = orig;
      if (comp !== undefined) stats.compressedSize = comp;
      if (dedup !== undefined) stats.bytesAdded = dedup;
      sizes = true;
    } else if ((m = /^Original size: +([\d.,]+ [kMGTPE]?B)$/.exec(text))) {
      const n = parseSize(m[1]!);
      if (n !== undefined) stats.bytesProcessed = n;
    } else if ((m = /^Deduplicated size: +([\d.,]+ [kMGTPE]?B)$/.exec(text))) {
      const n = parseSize(m[1]!);
      if (n !== undefined) stats.bytesAdded = n;
      sizes = true;
    } else if ((m = /^(Added|Unchanged|Modified|Error) files: +(\d+)$/.exec(text))) {
      const n = Number(m[2]);
      if (m[1] === 'Added') listed.A ??= n;
      else if (m[1] === 'Unchanged') listed.U ??= n;
      else if (m[1] === 'Modified') listed.M ??= n;
    } else if (!/^(?:Archive fingerprint|Time \((?:start|end)\)|Utilization of max|All archives|Files changed while reading|Time spent in|Bytes (?:read from|sent to) remote): /.test(text)) return false;
    sawBorg = true;
    if (sizes && stats.archiveName !== undefined && stats.filesInspected !== undefined) statsEnd = line;
    return true;
  }

  function handleMessage(text: string, line: number): void {
    let m: RegExpExecArray | null;
    if ((m = RC_LINE.exec(text))) {
      sawBorg = true;
      rc = { code: Number(m[2]), line };
      collect.finalLine(Number(m[2]), text, line);
      return;
    }
    if ((m = USAGE_ERROR.exec(text))) {
      sawBorg = true;
      usageError = line;
      collect.message(text);
      hint ??= /Invalid location format/.test(m[1]!)
        ? 'The repository address given to borg create is empty or malformed: set BORG_REPO (or write the repository before ::ARCHIVE) in the backup script.'
        : 'The borg command line in the backup script is wrong (see the error line): fix the script on the customer server.';
      return;
    }
    if (text.startsWith('-----------------------------------')) {
      sawBorg = true;
      // The dashes that close a --stats block (after "Number of files", or after the size table).
      if (stats.archiveName !== undefined && stats.filesInspected !== undefined) statsEnd = line;
      return;
    }
    if (statsLine(text, line)) return;
    if ((m = CHANGED.exec(text))) {
      sawBorg = true;
      warnings++;
      collect.fileError(m[1]!, 'changed', text, line);
      return;
    }
    if ((m = OS_ERROR.exec(text))) {
      sawBorg = true;
      warnings++;
      collect.fileError(m[1]!, kindFor(m[2], Number(m[3])), text, line);
      return;
    }
    if (/^(?:Got Ctrl-C \/ SIGINT|Received SIG[A-Z]+)/.test(text)) {
      sawBorg = true;
      collect.message(text);
      return;
    }
    const h = errorHint(text);
    if (h) {
      sawBorg = true;
      hint = hint ?? h;
      collect.message(text);
      return;
    }
    if (/^(?:Creating archive at |Remote: |Killed stale lock |Removed stale )/.test(text)) {
      sawBorg = true;
      collect.message(text);
    }
  }

  function handleJsonDocLine(text: string, line: number): void {
    let m: RegExpExecArray | null;
    if ((m = /^\s*"nfiles": (\d+)/.exec(text))) stats.filesInspected = Number(m[1]);
    else if ((m = /^\s*"original_size": (\d+)/.exec(text))) stats.bytesProcessed ??= Number(m[1]);
    else if ((m = /^\s*"compressed_size": (\d+)/.exec(text))) stats.compressedSize ??= Number(m[1]);
    else if ((m = /^\s*"deduplicated_size": (\d+)/.exec(text))) stats.bytesAdded ??= Number(m[1]);
    else if ((m = /^\s*"duration": ([\d.]+)/.exec(text))) stats.durationSeconds ??= Number(m[1]);
    else if ((m = /^\s{8}"name": "(.*)",?$/.exec(text))) stats.archiveName ??= m[1]!;
    else if (text === '}') {
      inJsonDoc = false;
      if (stats.filesInspected !== undefined) statsEnd = line;
    }
  }

  function handleLine(raw: string, line: number): void {
    const text = stripJournalPrefix(stripAnsi(raw));
    // The --json document ends with "}" alone; an rc line ends it too, should that be missing.
    if (inJsonDoc && !RC_LINE.test(text)) return handleJsonDocLine(text, line);
    inJsonDoc = false;
    if (text === '{') {
      inJsonDoc = true;
      return;
    }
    if (text.startsWith('{"')) {
      let j: LogJson;
      try {
        j = JSON.parse(text) as LogJson;
      } catch {
        return handleMessage(text, line);
      }
      if (j && typeof j === 'object' && typeof j.type === 'string') {
        sawBorg = true;
        if (j.type === 'log_message' && typeof j.message === 'string') return handleMessage(j.message, line);
        if (j.type === 'file_status' && typeof j.status === 'string') return listFlag(j.status);
        return;
      }
    }
    if (text.length > 2 && text[1] === ' ' && LIST_FLAGS.has(text[0]!)) return listFlag(text[0]!);
    handleMessage(text, line);
  }

  const lines = createLineSplitter((buf, start, end, lineNo) => {
    if (end === start) return;
    // Most of a --list log is "X path": count the flag without decoding the path.
    const len = end - start;
    if (len > 2 && buf[start + 1] === 0x20 && !inJsonDoc) {
      const flag = String.fromCharCode(buf[start]!);
      if (LIST_FLAGS.has(flag)) return listFlag(flag);
    }
    if (buf[start] === 0x7b && len > FILE_STATUS_PREFIX.length + 1 && buf.compare(FILE_STATUS_PREFIX, 0, FILE_STATUS_PREFIX.length, start, start + FILE_STATUS_PREFIX.length) === 0) {
      sawBorg = true;
      return listFlag(String.fromCharCode(buf[start + FILE_STATUS_PREFIX.length]!));
    }
    handleLine(textOf(buf, start, end), lineNo);
  });

  function verdict(): { code: number; reason: string | null; hint: string | null } {
    if (lines.bytes === 0) return { code: INCOMPLETE, reason: 'The upload is empty: borg create printed nothing.', hint: HINT_SILENT };
    if (rc) return { code: rc.code, reason: null, hint };
    if (usageError > 0) return { code: 2, reason: 'borg refused its command line (a usage error exits 2 before any rc line).', hint };
    if (statsEnd > 0) {
      return { code: warnings > 0 ? 1 : 0, reason: "borg's statistics prove the archive was saved; without --show-rc its exit code is inferred from its warnings.", hint: null };
    }
    if (!sawBorg && !sawList) {
      return {
        code: INCOMPLETE,
        reason: lines.sawNul ? 'The upload is binary data, not borg output.' : 'Nothing in the upload looks like borg output: check what the backup script uploads.',
        hint: null,
      };
    }
    if (hint) return { code: INCOMPLETE, reason: 'borg reported an error, but the log has no closing rc line to prove how it ended.', hint };
    return {
      code: INCOMPLETE,
      reason: "The log ends before borg's closing output (--stats block or 'terminating with ... status'): the archive was not proven saved.",
      hint: sawList ? HINT_STOPPED : HINT_SILENT,
    };
  }

  return {
    push: (chunk) => lines.push(chunk),
    end(): ParsedReport {
      const lineCount = lines.end();
      const { code, reason, hint: caseHint } = verdict();
      const out: TransferStats = { ...stats };
      if (sawList) {
        out.filesNew = counts.A;
        out.filesChanged = counts.M + counts.C;
        out.filesUnchanged = counts.U;
      } else {
        if (listed.A !== undefined) out.filesNew = listed.A;
        if (listed.M !== undefined) out.filesChanged = listed.M;
        if (listed.U !== undefined) out.filesUnchanged = listed.U;
      }
      if (counts.dry > 0) out.dryRun = true;
      return collect.report({
        format: 'borg',
        parserVersion: BORG_PARSER_VERSION,
        code,
        completed: rc !== null || statsEnd > 0 || usageError > 0,
        reason,
        hint: caseHint,
        stats: out,
        lines: lineCount,
        bytes: lines.bytes,
      });
    },
  };
}

/** Parse a whole borg log held in memory (tests and small inputs). */
export const parseBorg = (input: Uint8Array | string, options?: ParseOptions): ParsedReport => parseWhole(createBorgParser(options), input);
