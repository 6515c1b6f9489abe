/**
 * The bookkeeping every parser shares: file errors (with exceptions applied as they are
 * found, and only the first N kept in detail), diagnostics, and the final report shape.
 */
import { isExceptable, type FileError, type FileErrorKind, type FinalLine, type ParseOptions, type ParsedReport } from './types.ts';

const DEFAULT_MAX_FILE_ERRORS = 1000;
const MAX_MESSAGES = 50;
const MAX_FINAL_LINES = 20;
/** Paths remembered to drop a tool's repeated report of the same file. */
const MAX_REMEMBERED = 50_000;

export interface Collector {
  fileError(path: string, kind: FileErrorKind, message: string, line: number): void;
  message(text: string): void;
  finalLine(code: number, text: string, line: number): void;
  readonly fileErrorCount: number;
  /** The report, with the file errors, messages and final lines collected so far. */
  report(r: Pick<ParsedReport, 'format' | 'parserVersion' | 'code' | 'completed' | 'reason' | 'hint' | 'stats' | 'lines' | 'bytes'>): ParsedReport;
}

export function createCollector(options: ParseOptions = {}): Collector {
  const isExcepted = options.isExcepted ?? (() => false);
  const maxFileErrors = options.maxFileErrors ?? DEFAULT_MAX_FILE_ERRORS;
  const fileErrors: FileError[] = [];
  const messages: string[] = [];
  const finalLines: FinalLine[] = [];
  const seen = new Set<string>();
  let fileErrorCount = 0;
  let exceptedCount = 0;
  let vanishedCount = 0;

  return {
    get fileErrorCount() {
      return fileErrorCount;
    },
    fileError(path, kind, message, line) {
      // Some tools report one file twice (restic's scanner and archiver): count it once.
      const key = `${kind}\0${path}`;
      if (seen.has(key)) return;
      if (seen.size < MAX_REMEMBERED) seen.add(key);
      const excepted = isExceptable(kind) && isExcepted(path);
      fileErrorCount++;
      if (excepted) exceptedCount++;
      else if (kind === 'vanished') vanishedCount++;
      if (fileErrors.length < maxFileErrors) fileErrors.push({ path, kind, message, line, excepted });
    },
    message(text) {
      if (messages.length < MAX_MESSAGES) messages.push(text);
    },
    finalLine(code, text, line) {
      if (finalLines.length >= MAX_FINAL_LINES) finalLines.shift();
      finalLines.push({ code, role: null, version: null, text, line });
    },
    report(r) {
      const stats = { ...r.stats };
      const failed = fileErrorCount - vanishedCount;
      if (stats.filesFailed === undefined && failed > 0) stats.filesFailed = failed;
      return {
        format: r.format,
        parserVersion: r.parserVersion,
        code: r.code,
        completed: r.completed,
        reason: r.reason,
        hint: r.hint,
        finalLines,
        fileErrors,
        fileErrorCount,
        exceptedCount,
        vanishedCount,
        messages,
        stats,
        lines: r.lines,
        bytes: r.bytes,
      };
    },
  };
}

/** Removes terminal escape sequences ("\x1b[2K" before restic's and borg's progress-cleared lines). */
export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') : text;
}

/**
 * "Nov 23 02:15:36 fs01 restic[5200]: " (syslog / `journalctl -u ...` output) before each
 * line, as when a systemd unit's log is uploaded instead of the tool's own output.
 */
const JOURNAL_PREFIX = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^\s:[]+(?:\[\d+\])?: /;

export function stripJournalPrefix(line: string): string {
  const m = JOURNAL_PREFIX.exec(line);
  return m ? line.slice(m[0].length) : line;
}
