/**
 * restic's exit codes (restic's "Scripting" documentation and cmd/restic/main.go): 0, 1 and 3
 * in every version, 10, 11, 12 and 130 since 0.17. Older restic exits 1 for what 0.17 gives
 * 10/11/12; the parser gives the case-specific advice either way.
 */
import type { CodeEntry } from '../types.ts';

export const RESTIC_CODE_TABLE: Readonly<Record<number, CodeEntry>> = {
  [-2]: {
    outcome: 'failed',
    meaning: 'No proof the backup finished',
    hint: "The log ends before restic said 'snapshot ... saved' (or its JSON summary): restic was stopped (a time limit, a reboot, kill -9) or the upload was cut short. Re-run the backup and check that the scheduled task may run to the end.",
  },
  0: { outcome: 'ok', meaning: 'Success: snapshot saved', hint: 'Nothing to do.' },
  1: {
    outcome: 'failed',
    meaning: 'Fatal error: no snapshot was saved',
    hint: "Read the 'Fatal:' line in the log: the repository could not be opened (wrong path or password, unreachable storage), it is locked, or the command line is wrong. Fix that and re-run the backup.",
  },
  3: {
    outcome: 'partial',
    meaning: 'Snapshot saved, but some source files could not be read',
    hint: 'The snapshot lacks the files listed. For a file that matters, make it readable to the backup user (or back it up another way, e.g. a database dump) and then add an exception; for a file nobody needs, add an exception or exclude it.',
  },
  10: {
    outcome: 'failed',
    escalate: true,
    meaning: 'Repository does not exist',
    hint: 'restic could not find the repository: check the repository address in the script, and that the backup storage is up and reachable from the customer server.',
  },
  11: {
    outcome: 'failed',
    meaning: 'Repository is locked',
    hint: "Another restic (a prune, a check, or a crashed run) holds the repository lock. If no other restic is running, remove the stale lock with 'restic unlock' and re-run the backup.",
  },
  12: {
    outcome: 'failed',
    meaning: 'Wrong repository password',
    hint: 'The password given to restic (RESTIC_PASSWORD / --password-file) does not open the repository. Fix the password in the backup script.',
  },
  130: {
    outcome: 'failed',
    meaning: 'Interrupted (SIGINT or SIGTERM)',
    hint: 'restic was stopped before it saved a snapshot (Ctrl-C, a task-scheduler time limit, a shutdown). Re-run the backup and check the scheduled task settings.',
  },
};
