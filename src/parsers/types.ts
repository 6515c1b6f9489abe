/** What every log parser produces. Parsers are pure: bytes in, ParsedReport out. */

export const INCOMPLETE = -2;

export type FileErrorKind =
  | 'open'
  | 'missing'
  | 'opendir'
  | 'read'
  | 'write'
  | 'mkdir'
  | 'vanished'
  | 'delete_nonempty'
  | 'delete'
  | 'set_times'
  | 'set_perms'
  | 'set_owner'
  | 'rename'
  | 'mkstemp'
  | 'readlink'
  | 'change_dir'
  | 'stat'
  | 'symlink'
  | 'other';

export interface FileError {
  path: string;
  kind: FileErrorKind;
  /** The log line, decoded, without the `rsync: [role]` prefix. */
  message: string;
  /** 1-based line number in the raw report. */
  line: number;
  excepted: boolean;
}

export interface FinalLine {
  code: number;
  role: string | null;
  version: string | null;
  text: string;
  line: number;
}

export interface TransferStats {
  bytesSent?: number;
  bytesReceived?: number;
  bytesPerSec?: number;
  totalSize?: number;
  speedup?: number;
  dryRun?: boolean;
  files?: number;
  filesCreated?: number;
  filesDeleted?: number;
  filesTransferred?: number;
  totalFileSize?: number;
  transferredFileSize?: number;
  literalData?: number;
  matchedData?: number;
  fileListSize?: number;
}

export interface ParsedReport {
  format: string;
  parserVersion: string;
  /** The tool's exit code as proven by the log, or INCOMPLETE (-2) without proof. */
  code: number;
  /** True when the log shows the tool reached its end-of-run summary. */
  completed: boolean;
  /** Why the code is what it is, when that is not obvious (always set for -2). */
  reason: string | null;
  finalLines: FinalLine[];
  /** The first file errors, up to the parser's limit; the counts below cover all of them. */
  fileErrors: FileError[];
  /** Every file error in the log, including those past the detail limit. */
  fileErrorCount: number;
  /** File errors covered by an exception. */
  exceptedCount: number;
  /** File errors that are only "file has vanished" and not already counted as excepted. */
  vanishedCount: number;
  /** General diagnostics that are not about one file (connection, daemon, timeout...). */
  messages: string[];
  stats: TransferStats;
  lines: number;
  bytes: number;
}

export interface ParseOptions {
  /** Decides whether a file error is covered by an approved exception. */
  isExcepted?: (path: string) => boolean;
  /** How many file errors to keep in detail (the counts always cover all). */
  maxFileErrors?: number;
}

/** A parser that is fed the log in chunks and never holds all of it. */
export interface StreamParser {
  push(chunk: Uint8Array): void;
  end(): ParsedReport;
}
