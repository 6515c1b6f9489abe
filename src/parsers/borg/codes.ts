/**
 * borg's return codes (borg docs "General > Return codes", src/borg/helpers/errors.py):
 * legacy 0 / 1 (warning) / 2 (error) / 128+N (killed by signal N), and, with
 * BORG_EXIT_CODES=modern (borg 1.4; the default in borg 2), specific errors 3-99 and
 * specific warnings 100-127. Warnings mean the archive was written without some files.
 */
import type { CodeEntry } from '../types.ts';

const WARNING_HINT =
  'The archive was saved without the files listed. For a file that matters, make it readable to the backup user (or back it up another way) and then add an exception; for a file nobody needs, add an exception or exclude it.';
const ERROR_HINT = "Read the error line above 'terminating with error status' in the log, fix what it names, and re-run the backup.";

export const BORG_CODE_TABLE: Readonly<Record<number, CodeEntry>> = {
  [-2]: {
    outcome: 'failed',
    meaning: 'No proof the backup finished',
    hint: "The log ends before borg's closing output (its --stats block or 'terminating with ... status'): borg was stopped (a time limit, a reboot, kill -9) or the upload was cut short. Re-run the backup and check that the scheduled task may run to the end.",
  },
  0: { outcome: 'ok', meaning: 'Success', hint: 'Nothing to do.' },
  1: { outcome: 'partial', meaning: 'Archive saved with warnings', hint: WARNING_HINT },
  2: { outcome: 'failed', meaning: 'Error: the archive was not saved', hint: ERROR_HINT },
  3: { outcome: 'failed', meaning: 'Cancelled by user', hint: 'Someone answered no to one of borg\'s questions, or the run was cancelled. Re-run the backup.' },
  4: { outcome: 'failed', meaning: 'Command error', hint: 'The borg command line in the backup script is wrong. Fix the script on the customer server.' },
  10: { outcome: 'failed', meaning: 'Repository already exists', hint: ERROR_HINT },
  12: { outcome: 'failed', meaning: 'Repository needs a check', hint: "borg found an inconsistency in the repository: run 'borg check' on it (on the backup target) before the next backup." },
  13: {
    outcome: 'failed',
    escalate: true,
    meaning: 'Repository does not exist',
    hint: 'borg found no repository at the address in the script: check the address (BORG_REPO), and that the backup target is up and its storage mounted.',
  },
  14: { outcome: 'failed', escalate: true, meaning: 'Not enough free space on the repository', hint: 'The backup target ran out of space: free space or prune old archives there.' },
  15: { outcome: 'failed', meaning: 'Not a valid repository', hint: 'The repository address points at something that is not a borg repository. Check the address in the script.' },
  20: { outcome: 'failed', escalate: true, meaning: 'Repository storage quota exceeded', hint: 'The repository is over its storage quota on the backup target: raise the quota or prune old archives.' },
  21: { outcome: 'failed', meaning: 'Permission denied on the repository path', hint: 'The backup user may not write to the repository: fix its permissions.' },
  30: { outcome: 'failed', meaning: 'Archive already exists', hint: 'The archive name is taken: put the date and time in it (e.g. {hostname}-{now}) in the backup script.' },
  52: { outcome: 'failed', meaning: 'Wrong passphrase', hint: 'The passphrase given to borg (BORG_PASSPHRASE / BORG_PASSCOMMAND) does not open the repository key. Fix it in the backup script.' },
  73: { outcome: 'failed', meaning: 'Failed to acquire the repository lock in time', hint: "Another borg holds the repository lock (a prune, a check, a crashed run). If none is running, run 'borg break-lock' and re-run the backup." },
  80: { outcome: 'failed', escalate: true, meaning: 'Connection closed by the remote host', hint: 'The ssh connection to the backup target dropped: check the target and the network between them, then re-run the backup.' },
  90: { outcome: 'failed', escalate: true, meaning: 'Data integrity error', hint: "borg read corrupt data from the repository: run 'borg check' on the backup target." },
  100: { outcome: 'partial', meaning: 'A file changed while it was backed up', hint: 'The copy of the file named may be inconsistent (a database, a log being written). Back it up from a snapshot or a dump, or add an exception if that is acceptable.' },
  101: { outcome: 'partial', meaning: 'An include pattern never matched', hint: 'A path or pattern in the backup script matched nothing: check the source paths.' },
  102: { outcome: 'partial', meaning: 'A file could not be backed up', hint: WARNING_HINT },
  103: { outcome: 'partial', meaning: 'A file changed type while it was backed up (skipped)', hint: WARNING_HINT },
  104: { outcome: 'partial', meaning: 'An I/O error on a file (skipped)', hint: WARNING_HINT },
  105: { outcome: 'partial', meaning: 'Permission denied on a file (skipped)', hint: WARNING_HINT },
  106: { outcome: 'partial', meaning: 'An I/O error reading a file (skipped)', hint: WARNING_HINT },
  107: { outcome: 'partial', meaning: 'A file was not found (skipped)', hint: 'A path given to borg create, or a file in it, did not exist: check the source paths in the backup script.' },
  130: { outcome: 'failed', meaning: 'Interrupted (SIGINT)', hint: 'borg was stopped before it saved the archive. Re-run the backup and check what interrupts it.' },
  137: { outcome: 'failed', meaning: 'Killed (SIGKILL)', hint: 'borg was killed before it saved the archive (kill -9, the out-of-memory killer). Find what kills it on the customer server and re-run the backup.' },
  143: { outcome: 'failed', meaning: 'Terminated (SIGTERM)', hint: 'borg was told to stop before it saved the archive (a task-scheduler time limit, a shutdown). Re-run the backup and check the scheduled task settings.' },
};
