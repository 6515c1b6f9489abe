import { describe, expect, it } from 'vitest';
import { baselineOf, judgeRun, median, sanitisePath, DEFAULT_THRESHOLDS, type RunNumbers } from '../../src/reports/suspicion-rules.ts';
import { lineNamesPath } from '../../src/parsers/watch.ts';

const usual = (n: number, files = 10_000, bytes = 2e9, seconds = 1800): RunNumbers[] => Array.from({ length: n }, () => ({ files, bytes, seconds }));
const run = { toolLabel: 'rsync' };

describe('suspicion rules (numbers in, reasons out)', () => {
  it('takes the median, not the mean, so one odd night does not move the baseline', () => {
    expect(median([1, 100, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(baselineOf([...usual(4), { files: 1_000_000 }], 5)).toMatchObject({ runs: 5, files: 10_000, bytes: null });
  });

  it('finds nothing in an ordinary run, nor in one 20 % below the usual', () => {
    expect(judgeRun({ ...run, files: 10_000, bytes: 2e9, seconds: 1800 }, usual(14))).toEqual([]);
    expect(judgeRun({ ...run, files: 8_000, bytes: 1.6e9, seconds: 1440 }, usual(14))).toEqual([]);
  });

  it('does not judge drops or short runs before SUSPECT_MIN_RUNS good runs', () => {
    expect(judgeRun({ ...run, files: 1, bytes: 1, seconds: 1 }, usual(4))).toEqual([]);
    expect(judgeRun({ ...run, files: 1, bytes: 1, seconds: 1 }, usual(5)).map((r) => r.rule)).toEqual(['drop', 'short']);
  });

  it('names what fell, in either number, with the threshold from the server', () => {
    const [files] = judgeRun({ ...run, files: 1_204, bytes: 2e9 }, usual(14, 48_113));
    expect(files).toEqual({ rule: 'drop', message: 'inspected 1,204 files; the last 14 good runs inspected 48,113 (median): −97 %' });
    const [bytes] = judgeRun({ ...run, itemWord: 'objects', files: 10_000, bytes: 5e8 }, usual(14));
    expect(bytes!.message).toBe('saw 500 MB; the last 14 good runs saw 2.0 GB (median): −75 %');
    // A 40 % drop passes the default 50 % but not a server's own 30 %.
    expect(judgeRun({ ...run, files: 6_000 }, usual(14))).toEqual([]);
    expect(judgeRun({ ...run, files: 6_000 }, usual(14), { ...DEFAULT_THRESHOLDS, dropPercent: 30 })[0]!.message).toContain('−40 %');
  });

  it('calls a run under 20 % of the usual duration too short, but not when the usual is under a minute', () => {
    expect(judgeRun({ ...run, seconds: 300 }, usual(14))).toEqual([
      { rule: 'short', message: 'ran 5 min; the last 14 good runs took 30 min (median): 17 % of the usual, under 20 %' },
    ]);
    expect(judgeRun({ ...run, seconds: 400 }, usual(14))).toEqual([]);
    expect(judgeRun({ ...run, seconds: 1 }, usual(14, 10, 10, 30))).toEqual([]);
  });

  it('flags a dry run and a missing canary with no history at all', () => {
    expect(judgeRun({ ...run, dryRun: true }, [])).toEqual([{ rule: 'dry-run', message: 'dry run: rsync was run as a dry run (-n / --dry-run), nothing was copied' }]);
    expect(judgeRun({ ...run, canary: '/srv/.backupbot-canary', canarySeen: false }, [])).toEqual([{ rule: 'canary', message: 'canary /srv/.backupbot-canary was not copied this run' }]);
    expect(judgeRun({ ...run, canary: '/srv/.backupbot-canary', canarySeen: true }, [])).toEqual([]);
  });

  it('keeps control characters out of stored messages', () => {
    expect(sanitisePath('/srv/a\u0000b\nc')).toBe('/srv/a?b?c');
    expect(sanitisePath('x'.repeat(300))).toHaveLength(200);
  });
});

describe('canary paths match on a path-component boundary', () => {
  const canary = '/srv/.backupbot-canary';
  it.each([
    ['srv/.backupbot-canary', true], // rsync -av /srv DEST
    ['.backupbot-canary', true], // rsync -av /srv/ DEST
    ['>f..t...... srv/.backupbot-canary', true], // rsync --itemize-changes
    ['11/22/2026 02:00:06 Normal File-->    12 /srv/.backupbot-canary [Sent]', true], // TSM
    ['new       /srv/.backupbot-canary, saved in 0.001s (0 B added)', true], // restic -vv
    ['{"message_type":"verbose_status","action":"modified","item":"/srv/.backupbot-canary"}', true], // restic --json
    ['M /mnt/snap/srv/.backupbot-canary', true], // borg --list of a snapshot mount
    ['srv/.backupbot-canary.old', false],
    ['srv/old.backupbot-canary', false],
    ['other/.backupbot-canary', false],
    ['srv/.backupbot-canary-2', false],
  ])('%s -> %s', (line, seen) => {
    expect(lineNamesPath(line, canary)).toBe(seen);
  });

  it('matches Windows paths without regard to case or slash direction', () => {
    const win = 'C:\\Data\\.backupbot-canary';
    expect(lineNamesPath('11/22/2026 02:00:06 Normal File-->    12 \\\\fs01\\c$\\Data\\.backupbot-canary [Sent]', win)).toBe(true);
    expect(lineNamesPath('data/.BACKUPBOT-CANARY', win)).toBe(true);
    expect(lineNamesPath('cygdrive/c/Data/.backupbot-canary', win)).toBe(true);
    expect(lineNamesPath('Other/.backupbot-canary', win)).toBe(false);
  });
});
