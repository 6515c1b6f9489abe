import { describe, expect, it } from 'vitest';
import { createParser } from '../../src/parsers/index.ts';
import type { ParsedReport } from '../../src/parsers/types.ts';
import { classify } from '../../src/reports/classify.ts';

/**
 * Shapes the tools print in versions that do not run here (restic 0.11/0.17, borg 1.4/2,
 * older TSM clients), written after the tools' documentation, source and public issue
 * threads (each case says which).
 */
function parse(text: string, format = 'auto'): ParsedReport {
  const parser = createParser(format);
  parser.push(Buffer.from(text));
  return parser.end();
}
const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('restic in other versions', () => {
  it('accepts --skip-if-unchanged (0.17): "skipped creating snapshot" ends a good run (restic docs, 040_backup)', () => {
    const r = parse(
      lines(
        'using parent snapshot 40dc1520',
        'start scan on [.]',
        'start backup on [.]',
        'scan finished in 1.814s: 5307 files, 1.720 GiB',
        '',
        'Files:           0 new,     0 changed,  5307 unmodified',
        'Dirs:            0 new,     0 changed,  1867 unmodified',
        'Added to the repository: 0 B   (0 B   stored)',
        '',
        'processed 5307 files, 1.720 GiB in 0:03',
        'skipped creating snapshot',
      ),
    );
    expect(r).toMatchObject({ format: 'restic', code: 0, completed: true });
    expect(r.stats).toMatchObject({ filesInspected: 5307, filesUnmodified: 5307, bytesAdded: 0, bytesStored: 0, durationSeconds: 3 });
  });

  it('takes the code of a 0.17 exit_error message and still gives the wrong-password advice', () => {
    const r = parse(lines('{"message_type":"exit_error","code":12,"message":"Fatal: wrong password or no key found"}'));
    expect(r).toMatchObject({ format: 'restic', code: 12 });
    expect(classify(r).hint).toMatch(/RESTIC_PASSWORD/);
  });

  it('reads 0.11 wording and a systemd journal copy: "Added to the repo", "failed to read all source data" (restic issue #2165)', () => {
    const p = 'Mar 23 23:15:36 server01 ionice[5200]: ';
    const r = parse(
      lines(
        `Mar 23 23:13:18 server01 ionice[5200]: error: lstat /srv/data/samba-homes/Foobar/Mail2020/~w.foobar_archive.pst.tmp: no such file or directory`,
        `${p}Files:        2027 new,    46 changed, 956749 unmodified`,
        `${p}Dirs:          334 new,   200 changed, 62337 unmodified`,
        `${p}Added to the repo: 234.676 MiB`,
        `${p}processed 958822 files, 930.780 GiB in 15:22`,
        `${p}snapshot 8ec6f57a saved`,
        `${p}Warning: failed to read all source data during backup`,
      ),
    );
    expect(r).toMatchObject({ format: 'restic', code: 3 });
    expect(r.fileErrors).toEqual([expect.objectContaining({ path: '/srv/data/samba-homes/Foobar/Mail2020/~w.foobar_archive.pst.tmp', kind: 'vanished' })]);
    expect(r.stats).toMatchObject({ filesInspected: 958822, durationSeconds: 922, snapshotId: '8ec6f57a' });
    // A file that vanished mid-run is not a real failure: 3 with only vanished files is ok.
    expect(classify(r).status).toBe('ok');
  });

  it('does not accept a summary that never says the snapshot was saved (killed while saving)', () => {
    const r = parse(lines('Files:           4 new,     0 changed,     0 unmodified', 'Added to the repository: 23.349 KiB (2.968 KiB stored)', 'processed 4 files, 19.564 KiB in 0:00'), 'restic');
    expect(r.code).toBe(-2);
  });
});

describe('borg in other versions', () => {
  it('accepts borg 2 --stats lines (no size table) as proof, with the file counts', () => {
    const r = parse(
      lines(
        'Repository: /backup/borg2',
        'Archive name: fs01-2026-11-23',
        'Archive fingerprint: f7dea0788dfc026cc2be1c0f5b94beb4e4084eb3402fc40c38d8719b1bf2d943',
        'Time (start): Mon, 2026-11-23 02:00:01',
        'Time (end): Mon, 2026-11-23 02:10:05',
        'Duration: 10 minutes 4.12 seconds',
        'Number of files: 162531',
        'Original size: 78.85 GB',
        'Deduplicated size: 66.50 MB',
        'Added files: 12',
        'Unchanged files: 162500',
        'Modified files: 19',
        'Error files: 0',
      ),
      'borg',
    );
    expect(r).toMatchObject({ code: 0, completed: true });
    expect(r.stats).toMatchObject({ filesInspected: 162531, filesNew: 12, filesChanged: 19, filesUnchanged: 162500, bytesProcessed: 78_850_000_000, bytesAdded: 66_500_000, durationSeconds: 604.12 });
  });

  it('reads a modern warning code (BORG_EXIT_CODES=modern, 105 = permission denied) and lets an exception clear it', () => {
    const log = lines(
      '{"type": "log_message", "time": 1.0, "message": "srv/hr/salaries.xlsx: open: [Errno 13] Permission denied: \'salaries.xlsx\'", "levelname": "WARNING", "name": "borg.archiver", "msgid": "BackupPermissionError"}',
      '{"type": "file_status", "status": "E", "path": "srv/hr/salaries.xlsx"}',
      '{"type": "log_message", "time": 2.0, "message": "terminating with warning status, rc 105", "levelname": "WARNING", "name": "borg.output.show-rc"}',
    );
    const r = parse(log);
    expect(r).toMatchObject({ format: 'borg', code: 105 });
    expect(classify(r)).toMatchObject({ status: 'failed', meaning: 'Permission denied on a file (skipped)' });
    const parser = createParser('borg', { isExcepted: (p) => p === 'srv/hr/salaries.xlsx' });
    parser.push(Buffer.from(log));
    expect(classify(parser.end())).toMatchObject({ status: 'ok', okByExceptions: true });
  });

  it('reads the stats of a borg 1.2 log with the blank lines stripped (public gist of borg create --stats --show-rc)', () => {
    const r = parse(
      lines(
        'Creating archive at "ssh://remote/~/borg02::prefix.{utcnow}"',
        'Archive name: prefix.2022-05-12T04:00:01',
        'Archive fingerprint: ac23dd450dc0965216daec82f8527fe7e8de95f7f66b22ebf372e0c95b436e30',
        'Time (start): Thu, 2022-05-12 06:00:02',
        'Time (end): Thu, 2022-05-12 06:00:48',
        'Duration: 45.85 seconds',
        'Number of files: 162531',
        'Utilization of max. archive size: 0%',
        '------------------------------------------------------------------------------',
        'Original size Compressed size Deduplicated size',
        'This archive: 78.85 GB 72.87 GB 66.50 MB',
        'All archives: 5.63 TB 5.21 TB 76.36 GB',
        'Unique chunks Total chunks',
        'Chunk index: 194794 13698095',
        '------------------------------------------------------------------------------',
        'terminating with warning status, rc 1',
      ),
    );
    expect(r).toMatchObject({ format: 'borg', code: 1 });
    expect(r.stats).toMatchObject({ filesInspected: 162531, bytesProcessed: 78_850_000_000, bytesAdded: 66_500_000, durationSeconds: 45.85 });
    // rc 1 with no file named: borg warned about something we cannot except.
    expect(classify(r).status).toBe('failed');
  });
});

describe('borg --json cut short', () => {
  it('still reads the rc line after a --json document that never closed', () => {
    const r = parse(lines('{', '    "archive": {', '        "name": "x",', 'terminating with error status, rc 2'), 'borg');
    expect(r.code).toBe(2);
  });
});

describe('TSM in other shapes', () => {
  it('reads the old two-digit-year dates and a command schedule\'s "Finished command. Return code is:"', () => {
    const r = parse(
      lines(
        '11/23/26   02:00:05 --- SCHEDULEREC OBJECT BEGIN NIGHTLY_CMD 11/23/26   02:00:00',
        '11/23/26   02:00:05 Executing Operating System command or script:',
        '11/23/26   02:00:05    /usr/local/bin/db-dump.sh',
        '11/23/26   02:09:41 Finished command.  Return code is: 8',
        '11/23/26   02:09:41 --- SCHEDULEREC OBJECT END NIGHTLY_CMD 11/23/26   02:00:00',
      ),
    );
    expect(r).toMatchObject({ format: 'tsm', code: 8, completed: true });
  });

  it('keeps messages written after the result (a failing post-schedule command) with their night', () => {
    const r = parse(
      lines(
        '11/23/2026 02:00:05 --- SCHEDULEREC OBJECT BEGIN DAILY 11/23/2026 02:00:00',
        '11/23/2026 02:41:17 --- SCHEDULEREC STATUS BEGIN',
        '11/23/2026 02:41:17 Total number of objects inspected:      412,901',
        '11/23/2026 02:41:17 Elapsed processing time:               00:41:12',
        '11/23/2026 02:41:17 --- SCHEDULEREC STATUS END',
        "11/23/2026 02:41:17 Scheduled event 'DAILY' completed successfully.",
        '11/23/2026 02:41:18 Executing Operating System command or script:',
        '11/23/2026 02:41:18    /usr/local/bin/backupbot-upload-tsm.sh',
        "11/23/2026 02:41:19 ANS1902E The execution of the post-schedule command failed. Command: '/usr/local/bin/backupbot-upload-tsm.sh'",
      ),
    );
    expect(r).toMatchObject({ format: 'tsm', code: 0 });
    expect(r.stats.filesInspected).toBe(412901);
  });

  it('judges only the last session: a good night after a failed one is ok', () => {
    const r = parse(
      lines(
        "11/22/2026 02:10:00 ANS4007E Error processing '/srv/a': access to the object is denied",
        "11/22/2026 02:41:17 ANS1512E Scheduled event 'DAILY' failed.  Return code = 4.",
        '11/23/2026 02:00:05 --- SCHEDULEREC OBJECT BEGIN DAILY 11/23/2026 02:00:00',
        '11/23/2026 02:41:17 --- SCHEDULEREC STATUS BEGIN',
        '11/23/2026 02:41:17 Total number of objects inspected:      412,901',
        '11/23/2026 02:41:17 Total number of objects failed:               0',
        '11/23/2026 02:41:17 Elapsed processing time:               00:41:12',
        '11/23/2026 02:41:17 --- SCHEDULEREC STATUS END',
        "11/23/2026 02:41:17 Scheduled event 'DAILY' completed successfully.",
      ),
    );
    expect(r).toMatchObject({ format: 'tsm', code: 0, fileErrorCount: 0 });
    expect(r.stats).toMatchObject({ filesInspected: 412901, durationSeconds: 2472, scheduleName: 'DAILY' });
  });
});
