/**
 * IBM Spectrum Protect (TSM) backup-archive client return codes, as IBM documents them for
 * dsmc and scheduled events ("Return codes from the command-line interface"): 0, 4, 8, 12.
 */
import type { CodeEntry } from '../types.ts';

export const TSM_CODE_TABLE: Readonly<Record<number, CodeEntry>> = {
  [-2]: {
    outcome: 'failed',
    meaning: 'No proof the backup finished',
    hint: "The last session in the log has no result line (\"Scheduled event '...' completed successfully\" or ANS1512E with a return code): dsmc is still running, was stopped, or the log was uploaded before the scheduler wrote the result. Upload dsmsched.log from POSTSCHEDULECMD, or after the event has ended.",
  },
  0: { outcome: 'ok', meaning: 'All operations completed successfully', hint: 'Nothing to do.' },
  4: {
    outcome: 'partial',
    meaning: 'Some files were skipped (not found, in use, or access denied)',
    hint: 'The files listed were not backed up. For a file that matters, back it up another way (a snapshot, a database dump, fixing its permissions) and then add an exception; for a file nobody needs, add an exception or exclude it in the include-exclude list.',
  },
  8: {
    outcome: 'partial',
    meaning: 'Completed with warnings',
    hint: 'dsmc finished but logged warnings (ANSnnnnW). Read them in the log or dsmerror.log; if they name files that do not matter, add an exception.',
  },
  12: {
    outcome: 'failed',
    meaning: 'Completed with errors',
    hint: 'dsmc logged errors (ANSnnnnE): files failed, or the session with the server broke. Read the ANS messages in the log or dsmerror.log, fix their cause and re-run the backup.',
  },
};
