import { describe, expect, it } from 'vitest';
import { createRsyncParser, parseRsync, unescapeRsyncPath } from '../../src/parsers/rsync/parser.ts';
import { compileExceptions } from '../../src/exceptions/match.ts';
import { classify } from '../../src/reports/classify.ts';

const lines = (...ls: string[]) => ls.join('\n') + '\n';

const SUMMARY = ['', 'sent 286 bytes  received 85 bytes  742.00 bytes/sec', 'total size is 6  speedup is 0.02'];

describe('rsync parser: completion', () => {
  it('treats a summary with nothing after it as a clean finish (code 0)', () => {
    const r = parseRsync(lines('sending incremental file list', 'a.txt', ...SUMMARY));
    expect(r.code).toBe(0);
    expect(r.completed).toBe(true);
    expect(classify(r).status).toBe('ok');
  });

  it('says -2 when the log stops mid-transfer, even if the client claims exit 0', () => {
    const r = parseRsync(lines('sending incremental file list', 'a.txt', 'b.txt'));
    expect(r.code).toBe(-2);
    expect(r.reason).toMatch(/closing summary/);
    const v = classify(r, 0);
    expect(v.status).toBe('incomplete');
    expect(v.reason).toMatch(/reported exit code 0/);
  });

  it('does not accept a summary that more file output follows', () => {
    const r = parseRsync(lines('sending incremental file list', ...SUMMARY, 'more/file.txt'));
    expect(r.code).toBe(-2);
    expect(r.completed).toBe(false);
  });

  it('accepts a later summary when file output came between two of them', () => {
    const r = parseRsync(lines('sending incremental file list', ...SUMMARY, 'more/file.txt', ...SUMMARY));
    expect(r.code).toBe(0);
    expect(r.completed).toBe(true);
  });

  it('takes "deleting" lines as rsync listing files, and counts every line, however the log is cut into chunks', () => {
    const text = lines(...Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `deleting old/f${i}` : `home/u/f${i}`)), 'rsync: [sender] send_files failed to open "/s/x": Permission denied (13)');
    const bytes = Buffer.from(text);
    for (const size of [1, 7, 64, bytes.length]) {
      const parser = createRsyncParser();
      for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size));
      const r = parser.end();
      expect(r.lines).toBe(301);
      expect(r.fileErrors[0]?.line).toBe(301);
      expect(r.code).toBe(-2);
      expect(r.hint).toMatch(/stopped before its closing summary/);
    }
  });

  it('says -2 when file errors were logged but the closing code line is missing', () => {
    const r = parseRsync(
      lines('sending incremental file list', 'rsync: [sender] send_files failed to open "/s/x": Permission denied (13)', ...SUMMARY),
    );
    expect(r.code).toBe(-2);
    expect(r.reason).toMatch(/cut off/);
  });

  it('gives -2 with a reason for an empty upload', () => {
    const r = parseRsync('');
    expect(r.code).toBe(-2);
    expect(r.reason).toMatch(/empty/);
  });

  it('gives -2 with a reason for binary garbage', () => {
    const r = parseRsync(Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0, 0x80, 13, 10]));
    expect(r.code).toBe(-2);
    expect(r.reason).toMatch(/binary/);
  });

  it('gives -2 for text that is not rsync output', () => {
    const r = parseRsync('Hello, this is a shell banner\nand nothing else\n');
    expect(r.code).toBe(-2);
    expect(r.reason).toMatch(/looks like rsync/);
  });
});

describe('rsync parser: closing code lines', () => {
  it('takes the code from the closing line, before or after the summary', () => {
    const before = parseRsync(
      lines('sending incremental file list', 'rsync error: error in file IO (code 11) at main.c(808) [Receiver=3.5.0]', ...SUMMARY),
    );
    expect(before.code).toBe(11);
    const after = parseRsync(
      lines(...SUMMARY, 'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]'),
    );
    expect(after.code).toBe(23);
    expect(after.finalLines[0]).toMatchObject({ role: 'sender', version: '3.5.0' });
  });

  it('reports the local exit when the remote side printed its own code first', () => {
    const r = parseRsync(
      lines(
        'rsync: [sender] write error: Broken pipe (32)',
        'rsync error: error in socket IO (code 10) at io.c(848) [sender=3.2.7]',
        'rsync error: error in rsync protocol data stream (code 12) at io.c(232) [Receiver=3.2.7]',
      ),
    );
    expect(r.code).toBe(12);
    expect(r.finalLines).toHaveLength(2);
  });

  it('skips a child SIGUSR1 line printed after the real exit code', () => {
    const r = parseRsync(
      lines(
        'rsync error: timeout in data send/receive (code 30) at io.c(197) [receiver=3.2.7]',
        'rsync error: received SIGUSR1 (code 19) at main.c(1613) [generator=3.2.7]',
      ),
    );
    expect(r.code).toBe(30);
  });

  it('reads code 24 from a warning line', () => {
    const r = parseRsync(
      lines(
        'file has vanished: "/data/tmp/~lock.docx"',
        ...SUMMARY,
        'rsync warning: some files vanished before they could be transferred (code 24) at main.c(1338) [sender=3.2.7]',
      ),
    );
    expect(r.code).toBe(24);
    expect(r.fileErrors[0]).toMatchObject({ path: '/data/tmp/~lock.docx', kind: 'vanished' });
    expect(classify(r).status).toBe('ok');
  });

  it('accepts old closing lines with no [role=version] and unexplained 255', () => {
    expect(parseRsync('rsync error: some files could not be transferred (code 23) at main.c(977)\n').code).toBe(23);
    expect(parseRsync('rsync error: unexplained error (code 255) at io.c(235) [Receiver=3.1.3]\n').code).toBe(255);
  });
});

describe('rsync parser: file errors', () => {
  it('recognises 3.2+ lines with a [role] tag and 3.0/3.1 lines without one', () => {
    const r = parseRsync(
      lines(
        'rsync: [sender] send_files failed to open "/s/Outlook.pst": Permission denied (13)',
        'rsync: send_files failed to open "/s/old.pst": Permission denied (13)',
        'rsync: link_stat "/cygdrive/E/missing" failed: No such file or directory (2)',
        'rsync: opendir "/s/locked" failed: Permission denied (13)',
        'rsync: read errors mapping "/s/db.mdf": Input/output error (5)',
        'rsync: [receiver] write failed on "/d/big.iso": No space left on device (28)',
        'rsync: [generator] recv_generator: mkdir "/d/new" failed: Permission denied (13)',
        'cannot delete non-empty directory: old/dir',
        'rsync: [generator] failed to set times on "/d/x": Operation not permitted (1)',
        'rsync: [generator] failed to set permissions on "/d/y": Operation not permitted (1)',
        'rsync: [generator] delete_file: unlink(gone.txt) failed: Permission denied (13)',
        'rsync: [receiver] rename "/d/.a.XyZ" -> "a": Permission denied (13)',
        'rsync: [sender] some new message about "/s/odd": Bad thing (99)',
        'IO error encountered -- skipping file deletion',
        'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]',
      ),
    );
    expect(r.code).toBe(23);
    expect(r.fileErrors.map((e) => [e.kind, e.path])).toEqual([
      ['open', '/s/Outlook.pst'],
      ['open', '/s/old.pst'],
      ['missing', '/cygdrive/E/missing'],
      ['opendir', '/s/locked'],
      ['read', '/s/db.mdf'],
      ['write', '/d/big.iso'],
      ['mkdir', '/d/new'],
      ['delete_nonempty', 'old/dir'],
      ['set_times', '/d/x'],
      ['set_perms', '/d/y'],
      ['delete', 'gone.txt'],
      ['rename', '/d/.a.XyZ'],
      ['other', '/s/odd'],
    ]);
    expect(r.messages).toContain('IO error encountered -- skipping file deletion');
    expect(r.fileErrors[0]!.line).toBe(1);
    expect(classify(r).status).toBe('failed');
  });

  it('unescapes \\#ooo sequences, including multi-byte UTF-8 and newlines', () => {
    expect(unescapeRsyncPath('new\\#012line')).toBe('new\nline');
    expect(unescapeRsyncPath('caf\\#303\\#251.txt')).toBe('café.txt');
    const r = parseRsync('rsync: [sender] send_files failed to open "/s/a\\#012b": Permission denied (13)\n');
    expect(r.fileErrors[0]!.path).toBe('/s/a\nb');
  });

  it('keeps hostile names verbatim (escaping for Slack happens at render time)', () => {
    const r = parseRsync('rsync: [sender] send_files failed to open "/s/<!channel>": Permission denied (13)\n');
    expect(r.fileErrors[0]!.path).toBe('/s/<!channel>');
  });

  it('marks excepted errors, keeps them in the result, and turns 23 ok when all are covered', () => {
    const log = lines(
      'rsync: [sender] send_files failed to open "/s/Mail/Outlook.PST": Permission denied (13)',
      'file has vanished: "/s/tmp.txt"',
      ...SUMMARY,
      'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]',
    );
    const plain = parseRsync(log);
    expect(classify(plain).status).toBe('failed');
    const excepted = parseRsync(log, { isExcepted: compileExceptions(['*.pst']) });
    expect(excepted.fileErrors).toHaveLength(2);
    expect(excepted.fileErrors[0]!.excepted).toBe(true);
    const v = classify(excepted);
    expect(v.status).toBe('ok');
    expect(v.okByExceptions).toBe(true);
  });

  it('fails code 23 when no failing file could be identified', () => {
    const v = classify(parseRsync('rsync error: some files/attrs were not transferred (code 23) at main.c(1)\n'));
    expect(v.status).toBe('failed');
    expect(v.reason).toMatch(/names no failing file/);
  });

  it('keeps the first N file errors in detail but counts them all', () => {
    const errs = Array.from({ length: 30 }, (_, i) => `rsync: [sender] send_files failed to open "/s/f${i}": Permission denied (13)`);
    const r = parseRsync(lines(...errs, 'rsync error: x (code 23) at main.c(1) [sender=3.2.7]'), { maxFileErrors: 10 });
    expect(r.fileErrors).toHaveLength(10);
    expect(r.fileErrorCount).toBe(30);
  });
});

describe('rsync parser: noise and summary numbers', () => {
  it('reads the Windows cwRsync sample with CRLF endings and a cygwin warning block', () => {
    const log = [
      'cygwin warning:',
      '  MS-DOS style path detected: c:\\progra~1\\cwRsync\\bin\\plink.exe',
      'building file list ... done',
      '/cygdrive/D/atc/exchbak/publicfolders.bkf',
      '',
      'sent 23990367 bytes  received 120237 bytes  1176127.02 bytes/sec',
      'total size is 294748160  speedup is 12.22',
      '',
    ].join('\r\n');
    const r = parseRsync(log);
    expect(r.code).toBe(0);
    expect(r.stats).toMatchObject({ bytesSent: 23990367, bytesReceived: 120237, bytesPerSec: 1176127.02, totalSize: 294748160, speedup: 12.22 });
  });

  it('parses thousands separators, -h units and the dry-run marker', () => {
    const sep = parseRsync(lines('sent 1,234,567 bytes  received 8,901 bytes  1,176,127.02 bytes/sec', 'total size is 9.876.543  speedup is 1,00'));
    expect(sep.stats).toMatchObject({ bytesSent: 1234567, bytesReceived: 8901, bytesPerSec: 1176127.02, totalSize: 9876543, speedup: 1 });
    const human = parseRsync(lines('sent 1.23K bytes  received 35 bytes  2.53K bytes/sec', 'total size is 1.05M  speedup is 829.28 (DRY RUN)'));
    expect(human.stats).toMatchObject({ bytesSent: 1230, bytesReceived: 35, bytesPerSec: 2530, totalSize: 1050000, speedup: 829.28, dryRun: true });
    expect(human.code).toBe(0);
  });

  it('parses --stats lines', () => {
    const r = parseRsync(
      lines(
        'Number of files: 5 (reg: 3, dir: 2)',
        'Number of created files: 4 (reg: 3, dir: 1)',
        'Number of deleted files: 0',
        'Number of regular files transferred: 3',
        'Total file size: 1,048,576 bytes',
        'Total transferred file size: 2.10M bytes',
        'Literal data: 1,048,576 bytes',
        'Matched data: 0 bytes',
        'File list size: 0',
        'Total bytes sent: 1,049,000',
        'Total bytes received: 80',
        ...SUMMARY,
      ),
    );
    expect(r.stats).toMatchObject({
      files: 5,
      filesCreated: 4,
      filesDeleted: 0,
      filesTransferred: 3,
      totalFileSize: 1048576,
      transferredFileSize: 2100000,
      literalData: 1048576,
      matchedData: 0,
      fileListSize: 0,
      bytesSent: 286,
    });
  });

  it('finds a diagnostic that stderr wrote onto a --progress line', () => {
    const r = parseRsync(
      'sending incremental file list\nbig.iso\n\r     32,768   0%    0.00kB/s    0:00:00\r    524,288  12%  511.00kB/s    0:00:07rsync: [sender] read errors mapping "/s/big.iso": Input/output error (5)\n' +
        lines(...SUMMARY, 'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]'),
    );
    expect(r.fileErrors.map((e) => [e.kind, e.path])).toEqual([['read', '/s/big.iso']]);
  });

  it('keeps connection and daemon diagnostics as messages', () => {
    const r = parseRsync(
      lines(
        'ssh: connect to host custbak1 port 22: Connection refused',
        'Connection reset by peer',
        'Permission denied (publickey).',
        'Host key verification failed.',
        '[sender] io timeout after 30 seconds -- exiting',
        '@ERROR: Unknown module \'mirror\'',
        'rsync error: timeout in data send/receive (code 30) at io.c(197) [sender=3.5.0]',
      ),
    );
    expect(r.messages).toHaveLength(6);
    expect(r.code).toBe(30);
  });

  it('survives a line far longer than any real one', () => {
    const r = parseRsync('x'.repeat(200_000) + '\n' + lines(...SUMMARY));
    expect(r.code).toBe(0);
  });
});
