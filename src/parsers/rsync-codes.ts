/**
 * What each rsync completion code means for the support team, and what to do about it.
 * The facts come from rsync's own exit-code list and the old report server's runbook;
 * the wording is ours. `tsr3` marks problems on the backup side that need the senior group.
 */
export interface CodeInfo {
  meaning: string;
  hint: string;
  tsr3?: boolean;
}

const codes: Record<number, CodeInfo> = {
  [-2]: {
    meaning: 'No proof the backup finished',
    hint:
      'The log ends without rsync\'s closing summary: the run is still going, was killed (check that the scheduled task may run on battery and is not stopped by a time limit), or the upload was cut short. ' +
      'If many servers on the same backup target show this on the same night, the target itself is suspect: escalate to TSR3. Otherwise re-run the backup and upload again.',
  },
  0: { meaning: 'Success', hint: 'Nothing to do.' },
  1: {
    meaning: 'Syntax or usage error',
    hint: 'The rsync command line in the backup script is wrong (unknown option or bad arguments). Fix the script on the customer server.',
  },
  2: {
    meaning: 'Protocol incompatibility',
    hint: 'Something else is writing into the rsync connection (a login banner, a shell profile that prints text) or the data is being corrupted on the way. Check the remote shell setup, then the network hardware.',
  },
  3: {
    meaning: 'Errors selecting input/output files or directories',
    hint: 'The paths the script asks rsync to back up, or the destination, do not exist or cannot be used. Check the source and destination paths in the script.',
  },
  4: {
    meaning: 'Requested action not supported',
    hint: 'An option is not supported on one side (old rsync on the backup target, or an OS that cannot handle the files). Compare rsync versions on both ends and remove the unsupported option.',
  },
  5: {
    meaning: 'Error starting the client-server protocol',
    hint: 'rsync could not start talking to the backup server (unknown module, refused login, daemon problem). Read the @ERROR line in the log; if the daemon side is at fault, escalate to TSR3.',
    tsr3: true,
  },
  6: {
    meaning: 'Daemon unable to append to its log file',
    hint: 'The rsync daemon cannot write its log file. Check the log file path and its permissions on the daemon host.',
  },
  10: {
    meaning: 'Error in socket I/O',
    hint: 'The backup server did not accept the connection (refused, unreachable, wrong port). TSR3 should check why the backup target is not taking connections.',
    tsr3: true,
  },
  11: {
    meaning: 'Error in file I/O',
    hint: 'rsync could not read or write a file as a whole (often a full disk on the backup target, or a failing local disk). Check free space on the target and the disk health on both ends.',
  },
  12: {
    meaning: 'Error in the rsync protocol data stream',
    hint: 'The connection to the backup server died mid-run, or the remote side quit. Usually the customer\'s Internet dropped: re-run the backup once the link is stable.',
  },
  13: {
    meaning: 'Errors with program diagnostics',
    hint: 'rsync could not report its own diagnostics, usually after a dropped connection or a permission problem. Check the customer\'s connectivity and the account the backup runs as.',
  },
  14: {
    meaning: 'Error in IPC code',
    hint: 'rsync could not start or talk to its helper process (the remote shell, often ssh). Check the -e command in the script; if connections to the backup servers are refused, escalate to TSR3.',
    tsr3: true,
  },
  15: {
    meaning: 'Sibling process crashed',
    hint: 'One of rsync\'s own processes crashed. Re-run the backup; if it repeats, upgrade rsync on both ends.',
  },
  16: {
    meaning: 'Sibling process terminated abnormally',
    hint: 'One of rsync\'s own processes ended unexpectedly. Re-run the backup; if it repeats, look for memory or disk problems on the customer server.',
  },
  19: {
    meaning: 'Received SIGUSR1',
    hint: 'rsync was told to stop by one of its own processes, usually because another part failed first. Look at the errors above it in the log.',
  },
  20: {
    meaning: 'Received SIGINT, SIGTERM or SIGHUP',
    hint: 'Someone or something stopped rsync (a reboot, a task-scheduler time limit, a killed session, or the backup target going down). Re-run the backup and check the scheduled task settings.',
  },
  21: {
    meaning: 'Some error returned by waitpid()',
    hint: 'rsync lost track of one of its processes. Re-run the backup; if it repeats, check the customer server\'s load.',
  },
  22: {
    meaning: 'Error allocating core memory buffers',
    hint: 'rsync ran out of memory (or hit --max-alloc). Free memory on the customer server, raise --max-alloc, or split the backup into smaller sets.',
  },
  23: {
    meaning: 'Partial transfer due to error',
    hint: 'Some files were not backed up (locked, unreadable, missing). For a file that matters, set up another way to back it up (VSS, a database dump) and then add an exception; for a file nobody needs, add an exception.',
  },
  24: {
    meaning: 'Partial transfer due to vanished source files',
    hint: 'Files were deleted while the backup ran. That is normal; nothing to fix.',
  },
  25: {
    meaning: 'The --max-delete limit stopped deletions',
    hint: 'rsync refused to delete more files than --max-delete allows on the backup target. Check whether that many files really were removed on the customer server before raising the limit.',
  },
  30: {
    meaning: 'Timeout in data send/receive',
    hint: 'No data moved for longer than rsync\'s --timeout. Check the customer\'s connection; raise the timeout if the server has very large files that take long to scan.',
  },
  35: {
    meaning: 'Timeout waiting for daemon connection',
    hint: 'The backup server did not answer in time. TSR3 should check the rsync daemon on the backup target.',
    tsr3: true,
  },
  124: {
    meaning: 'Remote shell failed',
    hint: 'The remote shell command (-e, usually ssh) failed. Check the ssh key, the host name and that the backup target is reachable.',
  },
  125: {
    meaning: 'Remote shell killed',
    hint: 'The remote shell (usually ssh) was killed. Re-run the backup and check for anything stopping ssh on the customer server.',
  },
  126: {
    meaning: 'Remote command could not be run',
    hint: 'The rsync program on the backup target exists but could not be started. TSR3 should check rsync on the backup target.',
    tsr3: true,
  },
  127: {
    meaning: 'Remote command not found',
    hint: 'The remote shell could not find rsync on the other end, or the connection dropped as it started. Check --rsync-path and that rsync is installed on the backup target.',
  },
  255: {
    meaning: 'Unexplained error (often the connection dropped)',
    hint: 'Usually ssh could not connect or the connection dropped. Check the customer\'s Internet connection and the ssh setup, then re-run the backup.',
  },
};

/** Codes rsync itself documents, in the order of its manual. */
export const RSYNC_CODES: readonly number[] = Object.keys(codes)
  .map(Number)
  .filter((c) => c >= 0)
  .sort((a, b) => a - b);

export function describeCode(code: number): CodeInfo {
  return (
    codes[code] ?? {
      meaning: `Unknown rsync code ${code}`,
      hint: 'rsync returned a code it does not document. Read the end of the log for the actual error.',
    }
  );
}
