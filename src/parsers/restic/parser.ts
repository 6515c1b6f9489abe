/**
 * Streaming parser for `restic backup` output: the default text (restic 0.9 and later) and
 * `--json` (one JSON object per line: status, verbose_status, error, summary, and since 0.17
 * exit_error). Completion proof is restic's own closing output:
 *   - text: "snapshot <id> saved" (or, for --dry-run, "Would add to the repository" followed
 *     by "processed N files ..."), JSON: a summary message with a snapshot_id (or dry_run);
 *   - then "Warning: at least one source file could not be read" (or any file error) makes it 3;
 *   - "Fatal: ..." proves a fatal end (1; 10/11/12 where the message says which, JSON
 *     exit_error gives the code itself); "signal ... received, cleaning up" proves 130.
 * Anything else is -2.
 */
import { createCollector, stripAnsi, stripJournalPrefix } from '../collect.ts';
import { createLineSplitter, textOf } from '../lines.ts';
import { INCOMPLETE, parseWhole, type FileErrorKind, type ParseOptions, type ParsedReport, type StreamParser, type TransferStats } from '../types.ts';
import { parseClock, parseSize } from '../units.ts';

export const RESTIC_PARSER_VERSION = 'restic/1';

const HINT_EMPTY =
  'The upload is empty: restic always prints its summary unless run with --quiet. Drop --quiet (or add --json) and upload both stdout and stderr.';
const HINT_STOPPED =
  "restic started but never said 'snapshot ... saved': it was killed (kill -9, a task-scheduler time limit, the out-of-memory killer, a shutdown) or the log was cut off. Find what stops the backup on the customer server, then re-run it.";

/** `{"message_type":"status"` lines are most of a --json log and say nothing we keep. */
const STATUS_PREFIX = Buffer.from('{"message_type":"status"');
/** --json -v: one of these per file. */
const VERBOSE_PREFIX = Buffer.from('{"message_type":"verbose_status"');
/** Text -v: "new       /path, saved in ...", "unchanged /path", "modified  /path, saved in ...". */
const FILE_LINE_PREFIXES = ['new       ', 'unchanged ', 'modified  '].map((p) => Buffer.from(p));

/** A plain loop: for prefixes this short it beats Buffer#compare's native call per line. */
function startsWith(buf: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start <= prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

const FILES_LINE = /^Files: +(\d+) new, +(\d+) changed, +(\d+) unmodified/;
const DIRS_LINE = /^Dirs: +(\d+) new, +(\d+) changed, +(\d+) unmodified/;
const ADDED_LINE = /^(Would add|Added) to the repo(?:sitory)?: ([\d.,]+ ?[KMGTP]?i?B)(?: +\(([\d.,]+ ?[KMGTP]?i?B) +stored\))?/;
const PROCESSED_LINE = /^processed (\d+) files, ([\d.,]+ ?[KMGTP]?i?B) in ((?:\d+:)?\d{1,2}:\d{2})/;
const SNAPSHOT_LINE = /^snapshot ([0-9a-f]{8,64}) saved\s*$/;
/** restic 0.17 --skip-if-unchanged: the run finished, nothing changed, no new snapshot. */
const SKIPPED_LINE = /^skipped creating snapshot\s*$/;
/** "error: open /p: permission denied", "error: Open: open /p: ...", "scan: Open: open /p: ..." (0.11), "error: lstat C:\p: ..." */
const ERROR_LINE = /^(?:error|scan): (?:[A-Za-z]+: )?([A-Za-z]+) (.+): ([^:]+)$/;
/** restic 0.14+ and 0.10-0.13 wording of "exit code 3 follows". */
const WARNING_LINE = /^Warning: (?:at least one source file could not be read|failed to read all source data during backup)/;
const MISSING_SOURCE = /^(.+) does not exist, skipping\s*$/;
const SIGNAL_LINE = /^signal (\w+) received, cleaning up/;

function kindOf(op: string, message: string): FileErrorKind {
  if (/no such file|cannot find the (?:file|path)/i.test(message)) return 'vanished';
  if (/^(?:open|read|readdir|opendir|readdirnames)$/i.test(op)) return 'unreadable';
  if (/stat$/i.test(op)) return 'stat';
  if (/readlink/i.test(op)) return 'readlink';
  return 'other';
}

/** What a Fatal line tells us beyond "it failed": the 0.17 code where it is unambiguous, and advice. */
function fatalFacts(text: string): { code: number; hint: string | null } {
  if (/repository does not exist/.test(text)) return { code: 10, hint: null };
  if (/unable to open config file|Is there a repository at the following location/.test(text)) {
    return {
      code: 1,
      hint: 'restic found no repository at the address in the script: check the address (-r / RESTIC_REPOSITORY), and that the backup storage is mounted, up and reachable from the customer server.',
    };
  }
  if (/wrong password or no key found/.test(text)) {
    return { code: 1, hint: 'The password given to restic (RESTIC_PASSWORD / --password-file) does not open the repository. Fix the password in the backup script.' };
  }
  if (/unable to create lock|repository is already locked/.test(text)) {
    return { code: 1, hint: "Another restic holds the repository lock (a prune or check, or a crashed run). If none is running, run 'restic unlock' and re-run the backup." };
  }
  if (/Please specify repository location/.test(text)) {
    return { code: 1, hint: 'The backup script does not tell restic where the repository is: set RESTIC_REPOSITORY (or pass -r / --repository-file) in the script.' };
  }
  if (/do not exist/.test(text)) {
    return { code: 1, hint: 'None of the paths given to restic backup exist on the customer server: fix the source paths in the backup script.' };
  }
  return { code: 1, hint: null };
}

interface JsonMessage {
  message_type?: string;
  code?: number;
  message?: string;
  item?: string;
  during?: string;
  error?: { message?: string; Op?: string; Path?: string; Err?: number } | string;
  snapshot_id?: string;
  dry_run?: boolean;
  files_new?: number;
  files_changed?: number;
  files_unmodified?: number;
  dirs_new?: number;
  dirs_changed?: number;
  dirs_unmodified?: number;
  data_added?: number;
  data_added_packed?: number;
  total_files_processed?: number;
  total_bytes_processed?: number;
  total_duration?: number;
}

export function createResticParser(options: ParseOptions = {}): StreamParser {
  const collect = createCollector(options);
  const stats: TransferStats = {};
  let sawRestic = false;
  let snapshotLine = 0;
  let dryRunEnd = 0;
  let wouldAdd = false;
  let warningLine = 0;
  let fatal: { code: number; hint: string | null; line: number } | null = null;
  let exitError: { code: number; line: number } | null = null;
  let signalLine = 0;
  /** Sources given on the command line that did not exist: restic warns and still exits 0. */
  let missingSources = 0;

  function summaryFromJson(m: JsonMessage, line: number): void {
    sawRestic = true;
    if (m.files_new !== undefined) stats.filesNew = m.files_new;
    if (m.files_changed !== undefined) stats.filesChanged = m.files_changed;
    if (m.files_unmodified !== undefined) stats.filesUnmodified = m.files_unmodified;
    if (m.dirs_new !== undefined) stats.dirsNew = m.dirs_new;
    if (m.dirs_changed !== undefined) stats.dirsChanged = m.dirs_changed;
    if (m.dirs_unmodified !== undefined) stats.dirsUnmodified = m.dirs_unmodified;
    if (m.total_files_processed !== undefined) stats.filesInspected = m.total_files_processed;
    if (m.total_bytes_processed !== undefined) stats.bytesProcessed = m.total_bytes_processed;
    if (m.data_added !== undefined) stats.bytesAdded = m.data_added;
    if (m.data_added_packed !== undefined) stats.bytesStored = m.data_added_packed;
    if (m.total_duration !== undefined) stats.durationSeconds = Math.round(m.total_duration * 1000) / 1000;
    // restic prints the summary only once the backup is done: it proves the end, with a
    // snapshot_id, or without one under --skip-if-unchanged (0.17+) when nothing changed.
    if (m.dry_run) {
      stats.dryRun = true;
      dryRunEnd = line;
    } else {
      if (typeof m.snapshot_id === 'string' && m.snapshot_id !== '') stats.snapshotId = m.snapshot_id;
      snapshotLine = line;
    }
  }

  function handleJson(text: string, line: number): boolean {
    let m: JsonMessage;
    try {
      m = JSON.parse(text) as JsonMessage;
    } catch {
      return false;
    }
    if (m === null || typeof m !== 'object' || typeof m.message_type !== 'string') return false;
    sawRestic = true;
    switch (m.message_type) {
      case 'summary':
        summaryFromJson(m, line);
        break;
      case 'error': {
        const err = m.error;
        const detail = typeof err === 'string' ? err : (err?.message ?? (err?.Op ? `${err.Op} ${err.Path ?? m.item ?? ''}: error ${err.Err ?? ''}`.trim() : ''));
        const path = typeof m.item === 'string' && m.item !== '' ? m.item : typeof err === 'object' && err?.Path ? err.Path : null;
        const message = `${m.during ? `${m.during}: ` : ''}${detail || 'error'}`;
        if (path) collect.fileError(path, kindOf(typeof err === 'object' && err?.Op ? err.Op : 'read', detail), message, line);
        else collect.message(message);
        break;
      }
      case 'exit_error':
        if (typeof m.code === 'number' && Number.isInteger(m.code)) exitError = { code: m.code, line };
        if (typeof m.message === 'string') {
          collect.message(m.message);
          const facts = fatalFacts(m.message);
          if (!fatal) fatal = { ...facts, line };
        }
        break;
      default:
        break;
    }
    return true;
  }

  function handleText(raw: string, line: number): void {
    const text = stripJournalPrefix(stripAnsi(raw));
    if (text.startsWith('{') && handleJson(text, line)) return;
    let m: RegExpExecArray | null;
    if ((m = SNAPSHOT_LINE.exec(text))) {
      sawRestic = true;
      stats.snapshotId = m[1]!;
      snapshotLine = line;
      return;
    }
    if (SKIPPED_LINE.test(text)) {
      sawRestic = true;
      snapshotLine = line;
      return;
    }
    if ((m = ERROR_LINE.exec(text))) {
      sawRestic = true;
      collect.fileError(m[2]!, kindOf(m[1]!, m[3]!), text.slice(text.indexOf(': ') + 2), line);
      return;
    }
    if ((m = MISSING_SOURCE.exec(text))) {
      sawRestic = true;
      missingSources++;
      collect.fileError(m[1]!, 'missing', text, line);
      return;
    }
    if (text.startsWith('Fatal: ')) {
      sawRestic = true;
      collect.message(text);
      if (!fatal) fatal = { ...fatalFacts(text), line };
      return;
    }
    if (WARNING_LINE.test(text)) {
      sawRestic = true;
      warningLine = line;
      return;
    }
    if ((m = SIGNAL_LINE.exec(text))) {
      sawRestic = true;
      signalLine = line;
      collect.message(text);
      return;
    }
    if ((m = FILES_LINE.exec(text))) {
      sawRestic = true;
      stats.filesNew = Number(m[1]);
      stats.filesChanged = Number(m[2]);
      stats.filesUnmodified = Number(m[3]);
      stats.filesInspected = Number(m[1]) + Number(m[2]) + Number(m[3]);
      return;
    }
    if ((m = DIRS_LINE.exec(text))) {
      stats.dirsNew = Number(m[1]);
      stats.dirsChanged = Number(m[2]);
      stats.dirsUnmodified = Number(m[3]);
      return;
    }
    if ((m = ADDED_LINE.exec(text))) {
      sawRestic = true;
      wouldAdd = m[1] === 'Would add';
      const added = parseSize(m[2]!);
      if (added !== undefined) stats.bytesAdded = added;
      const stored = m[3] ? parseSize(m[3]) : undefined;
      if (stored !== undefined) stats.bytesStored = stored;
      return;
    }
    if ((m = PROCESSED_LINE.exec(text))) {
      sawRestic = true;
      stats.filesInspected = Number(m[1]);
      const size = parseSize(m[2]!);
      if (size !== undefined) stats.bytesProcessed = size;
      const secs = parseClock(m[3]!);
      if (secs !== undefined) stats.durationSeconds = secs;
      if (wouldAdd) {
        stats.dryRun = true;
        dryRunEnd = line;
      }
      return;
    }
    if (/^(?:no parent snapshot found|using parent snapshot|open repository$|repository [0-9a-f]{8} opened)/.test(text)) sawRestic = true;
  }

  const lines = createLineSplitter((buf, start, end, lineNo) => {
    if (end - start < 4) return;
    // The bulk of a verbose log, one line per file: nothing in it changes the verdict, so
    // skip it without decoding.
    const first = buf[start];
    if (first === 0x7b) {
      if ((startsWith(buf, start, end, STATUS_PREFIX) && buf[start + STATUS_PREFIX.length] === 0x2c) || (startsWith(buf, start, end, VERBOSE_PREFIX) && buf[start + VERBOSE_PREFIX.length] === 0x2c)) {
        sawRestic = true;
        return;
      }
    } else if (first === 0x6e || first === 0x75 || first === 0x6d) {
      const p = FILE_LINE_PREFIXES[first === 0x6e ? 0 : first === 0x75 ? 1 : 2]!;
      if (startsWith(buf, start, end, p)) {
        sawRestic = true;
        return;
      }
    }
    handleText(textOf(buf, start, end), lineNo);
  });

  function verdict(): { code: number; reason: string | null; hint: string | null } {
    if (lines.bytes === 0) return { code: INCOMPLETE, reason: 'The upload is empty: the backup script sent no restic output.', hint: HINT_EMPTY };
    if (exitError) return { code: exitError.code, reason: null, hint: fatal?.hint ?? null };
    if (fatal) return { code: fatal.code, reason: null, hint: fatal.hint };
    if (snapshotLine > 0) {
      if (warningLine > 0 || collect.fileErrorCount > missingSources) return { code: 3, reason: null, hint: null };
      if (missingSources > 0) {
        return {
          code: 0,
          reason: 'restic exited 0, but some paths it was told to back up did not exist and are not in the snapshot.',
          hint: 'Check the source paths in the backup script: a missing path (an unmounted share, a renamed folder) is skipped silently by restic.',
        };
      }
      return { code: 0, reason: null, hint: null };
    }
    if (dryRunEnd > 0) {
      return { code: warningLine > 0 ? 3 : 0, reason: 'A --dry-run: restic wrote nothing to the repository.', hint: null };
    }
    if (signalLine > 0) return { code: 130, reason: 'restic was interrupted by a signal and cleaned up before it saved a snapshot.', hint: null };
    if (!sawRestic) {
      return {
        code: INCOMPLETE,
        reason: lines.sawNul ? 'The upload is binary data, not restic output.' : 'Nothing in the upload looks like restic output: check what the backup script uploads.',
        hint: null,
      };
    }
    return { code: INCOMPLETE, reason: "The log ends before restic said 'snapshot ... saved': the backup did not finish.", hint: HINT_STOPPED };
  }

  return {
    push: (chunk) => lines.push(chunk),
    end(): ParsedReport {
      const lineCount = lines.end();
      const { code, reason, hint } = verdict();
      return collect.report({
        format: 'restic',
        parserVersion: RESTIC_PARSER_VERSION,
        code,
        completed: snapshotLine > 0 || dryRunEnd > 0,
        reason,
        hint,
        stats,
        lines: lineCount,
        bytes: lines.bytes,
      });
    },
  };
}

/** Parse a whole restic log held in memory (tests and small inputs). */
export const parseRestic = (input: Uint8Array | string, options?: ParseOptions): ParsedReport => parseWhole(createResticParser(options), input);
