import { describeCode, formatLabel } from '../parsers/index.ts';
import { INCOMPLETE, isExceptable, type ParsedReport } from '../parsers/types.ts';

import type { SuspicionReason } from './suspicion-rules.ts';

/** `suspect`: the tool finished and its code is ok, but the evidence says it did not do the work (see suspicion.ts). */
export type Status = 'ok' | 'suspect' | 'failed' | 'incomplete' | 'missing';

export interface Verdict {
  code: number;
  status: Status;
  meaning: string;
  hint: string;
  /** ok only because every remaining file error is covered by an exception. */
  okByExceptions: boolean;
  reason: string | null;
  /** `hint` when it is advice for this very log rather than the code table's (stored in results.hint). */
  caseHint?: string | null;
  /** Why an ok-coded run is `suspect`; empty (or absent, before suspicion is judged) otherwise. */
  suspicion?: SuspicionReason[];
}

/** Exit statuses a shell reports for a process killed by a signal (128 + N), and what they mean. */
const KILLED: Record<number, string> = {
  130: 'SIGINT',
  137: 'SIGKILL',
  143: 'SIGTERM',
};

/**
 * The tool's code table decides, through the descriptor of the format that wrote the log:
 * ok:         an 'ok' code, or a 'partial' code whose file errors are all excepted or vanished
 *             (rsync 23, restic 3, borg 1, TSM 4/8);
 * failed:     any other code, or a partial one with a real file error or with none named;
 * incomplete: -2, the log does not prove the run finished.
 */
export function classify(parsed: ParsedReport, clientExitCode?: number | null): Verdict {
  const { code } = parsed;
  const info = describeCode(parsed.format, code);
  const real = parsed.fileErrorCount - parsed.exceptedCount - parsed.vanishedCount;
  let status: Status;
  let okByExceptions = false;
  let reason = parsed.reason;
  let hint = parsed.hint ?? info.hint;
  if (code === INCOMPLETE) status = 'incomplete';
  else if (info.outcome === 'ok') status = 'ok';
  else if (info.outcome === 'partial' && parsed.fileErrorCount > 0 && real === 0) {
    status = 'ok';
    okByExceptions = parsed.exceptedCount > 0;
  } else status = 'failed';

  const sourceRoot = parsed.fileErrors.find((e) => !e.excepted && !isExceptable(e.kind));
  if (sourceRoot) {
    reason = join(
      reason,
      `The backup source "${sourceRoot.path}" ${sourceRoot.kind === 'missing' ? 'does not exist' : 'could not be entered'}: fix the source path (or its permissions) in the backup script. An exception cannot cover it, because nothing under it was backed up.`,
    );
  }
  if (info.outcome === 'partial' && parsed.fileErrorCount === 0) {
    reason = join(reason, `${formatLabel(parsed.format)} reported a partial backup but the log names no failing file, so it cannot be excepted.`);
  }
  if (clientExitCode !== undefined && clientExitCode !== null && clientExitCode !== code) {
    reason = join(
      reason,
      code === INCOMPLETE
        ? `The backup script reported exit code ${clientExitCode}, but the log does not prove the run finished.`
        : `The backup script reported exit code ${clientExitCode}; the log shows ${code}, which is what counts.`,
    );
    const signal = KILLED[clientExitCode];
    if (code === INCOMPLETE && signal) {
      hint = `The backup tool was killed (exit ${clientExitCode} = ${signal}) before its log proved the end: this is not a network problem. Find what stops it on the customer server (kill -9, the out-of-memory killer, a task-scheduler time limit, a shutdown), then re-run the backup.`;
    }
  }
  const meaning = okByExceptions ? `${info.meaning} (all file errors excepted)` : info.meaning;
  return { code, status, meaning, hint, okByExceptions, reason, caseHint: hint === info.hint ? null : hint };
}

function join(a: string | null, b: string): string {
  return a ? `${a} ${b}` : b;
}
