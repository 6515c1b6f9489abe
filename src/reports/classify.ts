import { describeCode } from '../parsers/rsync-codes.ts';
import { INCOMPLETE, type ParsedReport } from '../parsers/types.ts';

export type Status = 'ok' | 'failed' | 'incomplete' | 'missing';

export interface Verdict {
  code: number;
  status: Status;
  meaning: string;
  hint: string;
  /** ok only because every remaining file error is covered by an exception. */
  okByExceptions: boolean;
  reason: string | null;
}

/**
 * ok:         code 0, code 24, or code 23 whose file errors are all excepted or vanished;
 * failed:     any other code, or 23 with a real file error;
 * incomplete: -2, the log does not prove the run finished.
 */
export function classify(parsed: ParsedReport, clientExitCode?: number | null): Verdict {
  const { code } = parsed;
  const info = describeCode(code);
  const real = parsed.fileErrorCount - parsed.exceptedCount - parsed.vanishedCount;
  let status: Status;
  let okByExceptions = false;
  let reason = parsed.reason;
  if (code === INCOMPLETE) status = 'incomplete';
  else if (code === 0 || code === 24) status = 'ok';
  else if (code === 23 && parsed.fileErrorCount > 0 && real === 0) {
    status = 'ok';
    okByExceptions = parsed.exceptedCount > 0;
  } else status = 'failed';

  if (code === 23 && parsed.fileErrorCount === 0) {
    reason = join(reason, 'rsync reported a partial transfer but the log names no failing file, so it cannot be excepted.');
  }
  if (clientExitCode !== undefined && clientExitCode !== null && clientExitCode !== code) {
    reason = join(
      reason,
      code === INCOMPLETE
        ? `The backup script reported exit code ${clientExitCode}, but the log does not prove the run finished.`
        : `The backup script reported exit code ${clientExitCode}; the log shows ${code}, which is what counts.`,
    );
  }
  const meaning = okByExceptions ? `${info.meaning} (all file errors excepted)` : info.meaning;
  return { code, status, meaning, hint: info.hint, okByExceptions, reason };
}

function join(a: string | null, b: string): string {
  return a ? `${a} ${b}` : b;
}
