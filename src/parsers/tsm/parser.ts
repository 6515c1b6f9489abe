/**
 * Streaming parser for the IBM Spectrum Protect (TSM) backup-archive client: the scheduler's
 * dsmsched.log, the console output of `dsmc incremental`, and dsmerror.log. Every line may
 * start with a date and time in the client's locale (11/23/2026, 2026-11-23, 23-11-2026,
 * 23.11.2026, or the old 11/23/26 with three spaces): that prefix is dropped.
 *
 * dsmsched.log grows night after night, so only the LAST session counts: a new session
 * ("--- SCHEDULEREC OBJECT BEGIN", or any backup output after a finished event) forgets
 * everything before it. The code, from the strongest evidence in that session:
 *   - "ANS1512E Scheduled event 'X' failed.  Return code = N." gives N;
 *   - "Scheduled event 'X' completed successfully." gives 0;
 *   - "Finished command.  Return code is: N" (a command schedule) gives N;
 *   - a summary ("Total number of objects inspected" ... "Elapsed processing time") without
 *     an event line (console output, or a log uploaded before the result was written) proves
 *     the end; the code is then inferred from the session's messages: 12 for errors, 8 for
 *     warnings, 4 for skipped files only, else 0;
 *   - anything else is -2.
 */
import { createCollector, type Collector } from '../collect.ts';
import { createLineSplitter, textOf } from '../lines.ts';
import { INCOMPLETE, parseWhole, type FileErrorKind, type ParseOptions, type ParsedReport, type StreamParser, type TransferStats } from '../types.ts';
import { parseClock, parseSize } from '../units.ts';

export const TSM_PARSER_VERSION = 'tsm/1';

/** "11/23/2026 02:00:01 ", "2026-11-23 02:00:01 ", "23.11.2026 02:00:01 ", "11/23/26   02:00:01 " */
const DATE_PREFIX = /^\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4} +\d{1,2}:\d{2}:\d{2}(?: ?[AP]M)? */;

const EVENT_FAILED = /^ANS1512E Scheduled event '([^']*)' failed\.\s+Return code = (\d+)/;
const EVENT_OK = /^Scheduled event '([^']*)' completed successfully/;
const COMMAND_RC = /^Finished command\.\s+Return code is:\s*(-?\d+)/;
const OBJECT_BEGIN = /^--- SCHEDULEREC OBJECT BEGIN (\S+)/;
const ANS = /^ANS(\d{4})([EWIS]) (.*)$/;
/** ANS1228E Sending of object '/x' failed. */
const SEND_FAILED = /^Sending of object '(.*)' failed/;
/** ANS4005E/4007E/4987E/...: Error processing '/x': <why> */
const ERROR_PROCESSING = /^Error processing '(.*)': (.*)$/;
/** ANS4037E Object '/x' changed during processing.  Object skipped. */
const OBJECT_CHANGED = /^Object '(.*)' changed during processing/;
/** Other messages that quote one object: ANS4042E Object name '/x' contains ..., ANS1304W Active object not found ... */
const QUOTED_OBJECT = /^(?:Object name|File|Directory|Object) '(.*?)'/;

const TOTALS: ReadonlyArray<readonly [RegExp, keyof TransferStats]> = [
  [/^Total number of objects inspected:\s*([\d,.]+)/, 'filesInspected'],
  [/^Total number of objects backed up:\s*([\d,.]+)/, 'objectsBackedUp'],
  [/^Total number of objects updated:\s*([\d,.]+)/, 'objectsUpdated'],
  [/^Total number of objects rebound:\s*([\d,.]+)/, 'objectsRebound'],
  [/^Total number of objects deleted:\s*([\d,.]+)/, 'objectsDeleted'],
  [/^Total number of objects expired:\s*([\d,.]+)/, 'objectsExpired'],
  [/^Total number of objects failed:\s*([\d,.]+)/, 'objectsFailed'],
];

/** Message numbers IBM lists as "file skipped" (return code 4) rather than errors. */
const SKIPPED = new Set(['4005', '4007', '4987', '4037', '1076']);
/** Messages that mean the server or the network, not the client's files. */
const SERVER_TROUBLE = new Set(['1017', '1029', '1311', '1301', '1369', '1026', '1351', '1316']);

function kindOf(num: string, why: string): FileErrorKind {
  if (num === '4005' || /not found/i.test(why)) return 'vanished';
  if (num === '4007' || num === '4987' || /denied|in use/i.test(why)) return 'unreadable';
  if (num === '4037') return 'changed';
  return 'other';
}

function count(text: string): number | undefined {
  const n = Number(text.replace(/[,.](?=\d{3}(?:\D|$))/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

interface Session {
  collect: Collector;
  stats: TransferStats;
  /** Code proven by an event or command result line. */
  result: number | null;
  sawSummaryEnd: boolean;
  sawTotals: boolean;
  errors: number;
  warnings: number;
  skipped: number;
  serverTrouble: string | null;
  pendingSend: { path: string; message: string; line: number } | null;
}

/**
 * "<date> Normal File-->  size path [Sent]", "Directory-->", "Updating-->", "Expiring-->":
 * the bulk of dsmsched.log, one per object, with nothing that changes the verdict. Their
 * "-->" comes within the first 36 bytes, where no message that matters has one.
 */
function isObjectLine(buf: Buffer, start: number, end: number): boolean {
  const stop = Math.min(end - 2, start + 36);
  for (let i = buf[start]! >= 0x30 && buf[start]! <= 0x39 ? start + 19 : start; i < stop; i++) {
    if (buf[i] === 0x2d && buf[i + 1] === 0x2d && buf[i + 2] === 0x3e) return true;
  }
  return false;
}

export function createTsmParser(options: ParseOptions = {}): StreamParser {
  let sawTsm = false;
  let sessions = 0;
  /** The log marks its sessions (dsmsched.log); else (dsmerror.log, console) their ends do. */
  let framed = false;
  let s = newSession();

  function newSession(): Session {
    return {
      collect: createCollector(options),
      stats: {},
      result: null,
      sawSummaryEnd: false,
      sawTotals: false,
      errors: 0,
      warnings: 0,
      skipped: 0,
      serverTrouble: null,
      pendingSend: null,
    };
  }

  /**
   * A line that belongs to a backup run: after a finished event, it starts the next session
   * in a log without session markers (dsmerror.log). In dsmsched.log only the marker does,
   * so output after the result (a post-schedule command's messages) stays with its night.
   */
  function work(): void {
    if (!framed && (s.result !== null || s.sawSummaryEnd)) {
      s = newSession();
      sessions++;
    }
  }

  function flushSend(): void {
    if (s.pendingSend) {
      const p = s.pendingSend;
      s.pendingSend = null;
      s.collect.fileError(p.path, 'other', p.message, p.line);
    }
  }

  function handle(raw: string, line: number): void {
    const dated = DATE_PREFIX.exec(raw);
    const text = dated ? raw.slice(dated[0].length) : raw;
    let m: RegExpExecArray | null;
    if (text.startsWith('---')) {
      if ((m = OBJECT_BEGIN.exec(text))) {
        sawTsm = true;
        framed = true;
        flushSend();
        s = newSession();
        sessions++;
        s.stats.scheduleName = m[1]!;
      } else if (text.startsWith('--- SCHEDULEREC STATUS BEGIN')) {
        sawTsm = true;
        work();
      }
      return;
    }
    if ((m = ANS.exec(text))) {
      sawTsm = true;
      const [, num, sev, body] = m as unknown as [string, string, string, string];
      if ((m = EVENT_FAILED.exec(text))) {
        flushSend();
        s.stats.scheduleName ??= m[1]!;
        s.result = Number(m[2]);
        s.collect.finalLine(s.result, text, line);
        return;
      }
      if (sev === 'I') return;
      // After its result a night's code is settled: later messages (a post-schedule
      // command's) are kept for people to read but do not change it.
      if (framed && s.result !== null) {
        s.collect.message(text);
        return;
      }
      if (SERVER_TROUBLE.has(num)) {
        s.serverTrouble ??= text;
      }
      if (num === '1228' && (m = SEND_FAILED.exec(body))) {
        work();
        flushSend();
        s.errors++;
        s.pendingSend = { path: m[1]!, message: text, line };
        return;
      }
      let path: string | null = null;
      let why = body;
      if ((m = ERROR_PROCESSING.exec(body))) {
        path = m[1]!;
        why = m[2]!;
      } else if ((m = OBJECT_CHANGED.exec(body))) path = m[1]!;
      else if (num !== '1802' && (m = QUOTED_OBJECT.exec(body))) path = m[1]!;
      if (path !== null && sev !== 'W') {
        work();
        if (s.pendingSend && s.pendingSend.path === path) s.pendingSend = null;
        else flushSend();
        if (SKIPPED.has(num)) s.skipped++;
        else s.errors++;
        s.collect.fileError(path, kindOf(num, why), text, line);
        return;
      }
      flushSend();
      if (sev === 'E' || sev === 'S') {
        // ANS1802E "Incremental backup of '/x' finished with N failure(s)" repeats what the file lines said.
        if (num !== '1802') s.errors++;
        else work();
      } else if (sev === 'W') s.warnings++;
      s.collect.message(text);
      return;
    }
    flushSend();
    if ((m = EVENT_OK.exec(text))) {
      sawTsm = true;
      s.stats.scheduleName ??= m[1]!;
      s.result = 0;
      s.collect.finalLine(0, text, line);
      return;
    }
    if ((m = COMMAND_RC.exec(text))) {
      sawTsm = true;
      s.result = Number(m[1]);
      s.collect.finalLine(s.result, text, line);
      return;
    }
    if (text.startsWith('Total number of ')) {
      sawTsm = true;
      if (!s.sawTotals) work();
      s.sawTotals = true;
      for (const [re, key] of TOTALS) {
        if ((m = re.exec(text))) {
          const n = count(m[1]!);
          if (n !== undefined) (s.stats as Record<string, number>)[key] = n;
          return;
        }
      }
      if ((m = /^Total number of bytes inspected:\s*([\d,.]+\s*[KMGTP]?B)/.exec(text))) {
        const n = parseSize(m[1]!);
        if (n !== undefined) s.stats.bytesInspected = n;
      } else if ((m = /^Total number of bytes transferred:\s*([\d,.]+\s*[KMGTP]?B)/.exec(text))) {
        const n = parseSize(m[1]!);
        if (n !== undefined) s.stats.bytesTransferred = n;
      }
      return;
    }
    if ((m = /^Elapsed processing time:\s*(\d+:\d{2}:\d{2})/.exec(text))) {
      sawTsm = true;
      const secs = parseClock(m[1]!);
      if (secs !== undefined) s.stats.durationSeconds = secs;
      if (s.sawTotals) s.sawSummaryEnd = true;
      return;
    }
    if (/^(?:Incremental backup of volume |Selective Backup function invoked|Incremental backup function invoked)/.test(text)) {
      sawTsm = true;
      work();
      return;
    }
    if (/^(?:Session established with server |Node Name: |Querying server for next scheduled event|IBM (?:Spectrum|Storage) Protect|Tivoli Storage Manager|Executing scheduled command now)/.test(text)) {
      sawTsm = true;
    }
  }

  const lines = createLineSplitter((buf, start, end, lineNo) => {
    if (end === start) return;
    // The bulk of dsmsched.log is "<date> Normal File--> size path [Sent]": skip those
    // without decoding (they start with a digit and carry no message number).
    if (isObjectLine(buf, start, end)) {
      work();
      return;
    }
    handle(textOf(buf, start, end), lineNo);
  });

  function inferred(): number {
    if (s.errors > 0) return 12;
    if (s.warnings > 0) return 8;
    if (s.skipped > 0) return 4;
    return 0;
  }

  function verdict(): { code: number; reason: string | null; hint: string | null } {
    const trouble = s.serverTrouble
      ? `The session reports a problem with the server or the network (${s.serverTrouble.slice(0, 120)}): check that the TSM server is up, reachable and has storage space, then re-run the backup.`
      : null;
    if (lines.bytes === 0) {
      return { code: INCOMPLETE, reason: 'The upload is empty: the backup script sent no TSM output.', hint: 'Upload dsmsched.log (the scheduler log) from POSTSCHEDULECMD, or the output of dsmc incremental with stdout and stderr.' };
    }
    if (s.result === 0 && (s.errors + s.skipped + s.warnings > 0 || (s.stats.objectsFailed ?? 0) > 0)) {
      // Older schedulers log "completed successfully" for any event they could start: the
      // session's own failures are the better evidence (IBM: assess the return code, not that line).
      const code = Math.max(inferred(), (s.stats.objectsFailed ?? 0) > 0 ? (s.skipped > 0 && s.errors === 0 ? 4 : 12) : 0);
      return {
        code,
        reason: `The scheduler says the event completed successfully, but the session reports ${s.stats.objectsFailed ?? s.collect.fileErrorCount} failed object(s), so the code is inferred from its messages.`,
        hint: trouble,
      };
    }
    if (s.result !== null) return { code: s.result, reason: null, hint: trouble };
    if (s.sawSummaryEnd) {
      return {
        code: inferred(),
        reason: 'The session ended with its summary but the log has no result line with a return code, so the code is inferred from its messages.',
        hint: trouble,
      };
    }
    if (!sawTsm) {
      return {
        code: INCOMPLETE,
        reason: lines.sawNul ? 'The upload is binary data, not TSM output.' : 'Nothing in the upload looks like TSM (dsmc) output: check what the backup script uploads.',
        hint: null,
      };
    }
    return {
      code: INCOMPLETE,
      reason: sessions > 0 ? 'The last session in the log has no summary and no result: it did not finish (or is still running).' : 'The log shows no finished TSM session.',
      hint: trouble,
    };
  }

  return {
    push: (chunk) => lines.push(chunk),
    end(): ParsedReport {
      const lineCount = lines.end();
      flushSend();
      const { code, reason, hint } = verdict();
      const st: TransferStats = { ...s.stats };
      if (st.objectsBackedUp !== undefined) st.filesChanged = st.objectsBackedUp;
      if (st.objectsFailed !== undefined) st.filesFailed = st.objectsFailed;
      if (st.bytesInspected !== undefined) st.bytesProcessed = st.bytesInspected;
      if (st.bytesTransferred !== undefined) st.bytesAdded = st.bytesTransferred;
      return s.collect.report({
        format: 'tsm',
        parserVersion: TSM_PARSER_VERSION,
        code,
        completed: s.result !== null || s.sawSummaryEnd,
        reason,
        hint,
        stats: st,
        lines: lineCount,
        bytes: lines.bytes,
      });
    },
  };
}

/** Parse a whole TSM log held in memory (tests and small inputs). */
export const parseTsm = (input: Uint8Array | string, options?: ParseOptions): ParsedReport => parseWhole(createTsmParser(options), input);
