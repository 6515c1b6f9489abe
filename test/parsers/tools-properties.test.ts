import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createParser } from '../../src/parsers/index.ts';
import type { ParsedReport } from '../../src/parsers/types.ts';

const ROOT = join(import.meta.dirname, '../fixtures');
const logsOf = (tool: string) =>
  readdirSync(join(ROOT, tool))
    .filter((f) => f.endsWith('.log'))
    .map((f) => readFileSync(join(ROOT, tool, f)));

/** Lines each tool really prints (from the fixtures), to mix with junk. */
const SHAPES: Record<string, string[]> = {
  restic: [
    '{"message_type":"status","percent_done":0.5,"total_files":4}',
    '{"message_type":"error","error":{"message":"open /s/a: permission denied"},"during":"archival","item":"/s/a"}',
    '{"message_type":"summary","files_new":1,"files_changed":0,"files_unmodified":3,"total_files_processed":4,"total_bytes_processed":20,"total_duration":0.2,"snapshot_id":"1d83aba6"}',
    '{"message_type":"exit_error","code":12,"message":"Fatal: wrong password or no key found"}',
    'error: open /s/docs/report.txt: permission denied',
    'Files:           4 new,     0 changed,     0 unmodified',
    'Added to the repository: 23.349 KiB (2.968 KiB stored)',
    'processed 4 files, 19.564 KiB in 0:00',
    'snapshot d60a5b9b saved',
    'Warning: at least one source file could not be read',
    'Fatal: unable to open config file: stat /r/config: no such file or directory',
    '\x1b[2Ksignal interrupt received, cleaning up',
  ],
  borg: [
    'A src/docs/report.txt',
    'E src/photos 2024',
    "src/docs/report.txt: open: [Errno 13] Permission denied: 'report.txt'",
    'src/growing.log: file changed while we backed it up',
    '------------------------------------------------------------------------------',
    'Archive name: w1',
    'Duration: 0.27 seconds',
    'Number of files: 2',
    'This archive:                  527 B                625 B                523 B',
    'Chunk index:                      18                   40',
    'terminating with warning status, rc 1',
    '{"type": "log_message", "time": 1.5, "message": "terminating with success status, rc 0", "levelname": "INFO", "name": "borg.output.show-rc"}',
    '{"type": "file_status", "status": "A", "path": "src/a"}',
    'Repository /r does not exist.',
  ],
  tsm: [
    '11/23/2026 02:00:05 --- SCHEDULEREC OBJECT BEGIN DAILY_INCR 11/23/2026 02:00:00',
    "11/23/2026 02:00:06 Normal File-->            24,576 /srv/share/budget 2026.xlsx [Sent]",
    "11/23/2026 02:00:06 ANS1228E Sending of object '/srv/db/erp.mdf' failed.",
    "11/23/2026 02:00:06 ANS4987E Error processing '/srv/db/erp.mdf': the object is in use by another process",
    '11/23/2026 02:41:17 --- SCHEDULEREC STATUS BEGIN',
    '11/23/2026 02:41:17 Total number of objects inspected:      412,901',
    '11/23/2026 02:41:17 Total number of objects failed:               1',
    '11/23/2026 02:41:17 Elapsed processing time:              00:41:11',
    '11/23/2026 02:41:17 --- SCHEDULEREC STATUS END',
    "11/23/2026 02:41:17 Scheduled event 'DAILY_INCR' completed successfully.",
    "2019-03-20 02:29:05 ANS1512E Scheduled event 'DAILY' failed.  Return code = 12.",
    'Total number of objects inspected:        5,123',
  ],
};

function parseInChunks(format: string, bytes: Uint8Array, cuts: number[]): ParsedReport {
  const parser = createParser(format);
  let last = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    parser.push(bytes.subarray(last, cut));
    last = cut;
  }
  parser.push(bytes.subarray(last));
  return parser.end();
}

const whole = (format: string, bytes: Uint8Array) => parseInChunks(format, bytes, []);

const toolish = (tool: string) =>
  fc
    .tuple(fc.array(fc.oneof(fc.constantFrom(...SHAPES[tool]!, '', '\r'), fc.string({ maxLength: 40 })), { maxLength: 40 }), fc.constantFrom('\n', '\r\n'))
    .map(([ls, sep]) => Buffer.from(ls.join(sep), 'utf8'));

describe.each(['restic', 'borg', 'tsm'])('%s parser properties', (tool) => {
  const fixtures = logsOf(tool);

  it('never throws on arbitrary bytes, forced or detected, and always gives a code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        for (const format of [tool, 'auto']) {
          const r = whole(format, bytes);
          expect(Number.isInteger(r.code)).toBe(true);
          expect(r.bytes).toBe(bytes.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it(`gives the same verdict however ${tool}-like input is cut into chunks`, () => {
    fc.assert(
      fc.property(toolish(tool), fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        expect(parseInChunks(tool, bytes, cuts)).toEqual(whole(tool, bytes));
        expect(parseInChunks('auto', bytes, cuts)).toEqual(whole('auto', bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same verdict for every real fixture cut into random chunks', () => {
    expect(fixtures.length).toBeGreaterThan(5);
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.array(fc.nat(), { maxLength: 30 }), (bytes, cuts) => {
        expect(parseInChunks('auto', bytes, cuts)).toEqual(whole('auto', bytes));
      }),
      { numRuns: 200 },
    );
  });
});

describe('detection', () => {
  it('decides on the first line only one tool prints, wherever the chunks are cut', () => {
    const log = Buffer.from('snapshot d60a5b9b saved\nsome wrapper text\nsending incremental file list\n');
    const whole_ = whole('auto', log);
    expect(whole_.format).toBe('restic');
    for (let cut = 0; cut <= log.length; cut++) expect(parseInChunks('auto', log, [cut]).format, `cut at ${cut}`).toBe('restic');
  });

  it('picks the same tool however a log mixing several tools\' lines is cut', () => {
    const mixed = fc
      .array(fc.oneof(fc.constantFrom(...SHAPES.restic!, ...SHAPES.borg!, ...SHAPES.tsm!, 'sending incremental file list', 'total size is 1,234  speedup is 0.02'), fc.string({ maxLength: 30 })), { maxLength: 30 })
      .map((ls) => Buffer.from(ls.join('\n'), 'utf8'));
    fc.assert(
      fc.property(mixed, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        expect(parseInChunks('auto', bytes, cuts)).toEqual(whole('auto', bytes));
      }),
      { numRuns: 500 },
    );
  });


  it('gives the same verdict for any chunking of a mixed or UTF-16 log', () => {
    const all = [...logsOf('rsync'), ...logsOf('tsm'), ...logsOf('restic'), ...logsOf('borg')];
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        expect(parseInChunks('auto', bytes, cuts)).toEqual(whole('auto', bytes));
      }),
      { numRuns: 300 },
    );
  });
});
