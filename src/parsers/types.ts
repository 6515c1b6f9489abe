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
  /** The file changed while the tool was reading it (borg, TSM): the copy may be inconsistent. */
  | 'changed'
  /** The tool could not read the file (permission, lock, I/O): restic, borg, TSM. */
  | 'unreadable'
  | 'other';

/**
 * File errors about what the backup was told to copy (a source path that does not exist, a
 * source folder the tool cannot enter), not about one file inside it. An exception cannot cover
 * them: the backup script has to be fixed, or nothing from that source is backed up.
 */
export const SOURCE_ROOT_KINDS: ReadonlySet<FileErrorKind> = new Set<FileErrorKind>(['missing', 'change_dir']);

export const isExceptable = (kind: string) => !SOURCE_ROOT_KINDS.has(kind as FileErrorKind);

export interface FileError {
  path: string;
  kind: FileErrorKind;
  /** The log line, decoded, without the tool's own prefix (`rsync: [role]`, `error: `...). */
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

/**
 * A run's own numbers, in one shape for every tool, so that a server's history can be
 * compared night by night whatever wrote the log. A field is absent when the log does not
 * say it (never 0 for "unknown").
 *
 * Common fields (every parser fills what its log shows):
 * - filesInspected  files the tool looked at: rsync "Number of files" (--stats), restic
 *                   files new+changed+unmodified, borg "Number of files", TSM "Total number
 *                   of objects inspected"
 * - filesNew        files stored for the first time (rsync "Number of created files", restic
 *                   files_new, borg "A" lines of --list, TSM: not told apart from changed)
 * - filesChanged    files whose content was sent again (rsync "Number of regular files
 *                   transferred", restic files_changed, borg "M" lines, TSM "objects backed up")
 * - filesFailed     files the log names as failed (all tools; TSM "objects failed")
 * - bytesProcessed  size of everything inspected (rsync "total size is", restic
 *                   total_bytes_processed, borg original size of this archive, TSM
 *                   "bytes inspected")
 * - bytesAdded      new data that reached the target (rsync "Literal data", restic data_added,
 *                   borg deduplicated size of this archive, TSM "bytes transferred")
 * - durationSeconds how long the run took by its own account
 * - dryRun          the tool said nothing was written
 *
 * Tool-specific extras keep the tool's own names (rsync's bytesSent..fileListSize, restic's
 * snapshotId, borg's archiveName, TSM's objectsExpired / scheduleName ...).
 */
export interface TransferStats {
  filesInspected?: number;
  filesNew?: number;
  filesChanged?: number;
  filesFailed?: number;
  bytesProcessed?: number;
  bytesAdded?: number;
  durationSeconds?: number;
  dryRun?: boolean;

  // rsync
  bytesSent?: number;
  bytesReceived?: number;
  bytesPerSec?: number;
  totalSize?: number;
  speedup?: number;
  files?: number;
  filesCreated?: number;
  filesDeleted?: number;
  filesTransferred?: number;
  totalFileSize?: number;
  transferredFileSize?: number;
  literalData?: number;
  matchedData?: number;
  fileListSize?: number;

  // restic
  snapshotId?: string;
  filesUnmodified?: number;
  dirsNew?: number;
  dirsChanged?: number;
  dirsUnmodified?: number;
  bytesStored?: number;

  // borg
  archiveName?: string;
  compressedSize?: number;
  filesUnchanged?: number;

  // TSM
  scheduleName?: string;
  objectsBackedUp?: number;
  objectsUpdated?: number;
  objectsRebound?: number;
  objectsDeleted?: number;
  objectsExpired?: number;
  objectsFailed?: number;
  bytesTransferred?: number;
  bytesInspected?: number;
}

export interface ParsedReport {
  /** The tool that wrote the log (a descriptor's name), or 'unknown' when none matched. */
  format: string;
  parserVersion: string;
  /** The tool's exit code as proven by the log, or INCOMPLETE (-2) without proof. */
  code: number;
  /** True when the log shows the tool reached its end-of-run summary. */
  completed: boolean;
  /** Why the code is what it is, when that is not obvious (always set for -2). */
  reason: string | null;
  /**
   * What to do, when this log calls for other advice than the code table's (an empty log,
   * a log without -v, a killed run). Null: the code table's hint for `code` applies.
   */
  hint: string | null;
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
  /** Of `watchPaths`, those the log names outside its file errors (only set when asked). */
  seenPaths?: string[];
  stats: TransferStats;
  lines: number;
  bytes: number;
}

export interface ParseOptions {
  /** Decides whether a file error is covered by an approved exception. */
  isExcepted?: (path: string) => boolean;
  /** How many file errors to keep in detail (the counts always cover all). */
  maxFileErrors?: number;
  /**
   * Paths to look for in the log ("canary" files that every good run must copy). Each one
   * that appears in the log, and not only in a file error, is reported in `seenPaths`.
   */
  watchPaths?: readonly string[];
}

/** A parser that is fed the log in chunks and never holds all of it. */
export interface StreamParser {
  push(chunk: Uint8Array): void;
  end(): ParsedReport;
}

/**
 * What a code means for a tool:
 * - outcome 'ok': the backup is good; 'partial': good only if every file error is excepted
 *   or vanished (rsync 23, restic 3, borg 1, TSM 4/8); 'failed': not good.
 * - escalate: the code points at the backup target or the network, so the senior group may
 *   be paged when several servers show it. Never for usage errors, file errors, missing
 *   sources, empty logs or -2.
 */
export interface CodeEntry {
  meaning: string;
  hint: string;
  outcome: 'ok' | 'partial' | 'failed';
  escalate?: boolean;
}

/** One backup tool: how to recognise its output, read it, and explain its codes. */
export interface ToolDescriptor {
  /** Stored in results.format and accepted by --format / X-Report-Format. */
  name: string;
  /** How people write it, shown with codes ("TSM 12"). */
  label: string;
  /**
   * How sure we are that this text (the start of a log, decoded) came from this tool:
   * 0 = no sign of it, 1 = a line only this tool prints. Must not throw.
   */
  detect(head: string): number;
  createParser(options?: ParseOptions): StreamParser;
  /** Every documented code, plus -2 (no proof of completion). */
  codes: Readonly<Record<number, CodeEntry>>;
  parserVersion: string;
  /**
   * How this tool's log can prove that a canary file was copied (which option makes it list
   * the files it stored), shown when a canary is set; null: its log never can.
   */
  canaryProof: string | null;
  /** What the tool calls the things it inspects, in messages ("files" when absent). */
  itemWord?: string;
}

/** A verdict that proves nothing (code -2), with why and what to do: for logs no parser could read. */
export function unprovenReport(r: { format: string; parserVersion: string; reason: string; hint: string; lines: number; bytes: number }): ParsedReport {
  return {
    ...r,
    code: INCOMPLETE,
    completed: false,
    finalLines: [],
    fileErrors: [],
    fileErrorCount: 0,
    exceptedCount: 0,
    vanishedCount: 0,
    messages: [],
    stats: {},
  };
}

/** Feeds a whole log held in memory to a streaming parser (tests and small inputs). */
export function parseWhole(parser: StreamParser, input: Uint8Array | string): ParsedReport {
  parser.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  return parser.end();
}
