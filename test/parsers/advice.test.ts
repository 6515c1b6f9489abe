import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeLabel, createParser, describeCode, FORMATS } from '../../src/parsers/index.ts';
import { sniffEncoding } from '../../src/parsers/encoding.ts';
import type { ParsedReport } from '../../src/parsers/types.ts';
import { classify } from '../../src/reports/classify.ts';

const RSYNC = join(import.meta.dirname, '../fixtures/rsync');
const log = (name: string) => readFileSync(join(RSYNC, `${name}.log`));

function parse(bytes: Buffer | string, format = 'auto', chunk = 0): ParsedReport {
  const parser = createParser(format);
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  if (chunk > 0) for (let i = 0; i < buf.length; i += chunk) parser.push(buf.subarray(i, i + chunk));
  else parser.push(buf);
  return parser.end();
}

describe('advice for logs that prove nothing (issue 7)', () => {
  it('tells an empty log to run rsync with -v or --stats, not that the run was killed', () => {
    for (const format of ['auto', 'rsync']) {
      const v = classify(parse('', format));
      expect(v.status).toBe('incomplete');
      expect(v.hint).toMatch(/run rsync with -v or --stats/);
      expect(v.hint).not.toMatch(/killed|time limit/);
    }
  });

  it('tells an rsync log without -v (only --itemize-changes lines) to add -v or --stats', () => {
    const v = classify(parse(log('ok-itemize')));
    expect(v).toMatchObject({ code: -2, status: 'incomplete' });
    expect(v.hint).toMatch(/-v or --stats/);
  });

  it('tells a non-verbose rsync log cut before its end to add -v, and a verbose one that it was stopped', () => {
    const quiet = classify(parse('rsync: [sender] send_files failed to open "/s/a": Permission denied (13)\n', 'rsync'));
    expect(quiet.hint).toMatch(/-v or --stats/);
    const verbose = classify(parse(log('killed-sigkill')));
    expect(verbose.hint).toMatch(/killed|stopped/);
    expect(verbose.hint).not.toMatch(/Internet/);
  });

  it('does not blame the network or page TSR3 for a run killed with SIGKILL (exit 137)', () => {
    const v = classify(parse(log('killed-sigkill')), 137);
    expect(v.hint).toMatch(/exit 137 = SIGKILL/);
    expect(v.hint).not.toMatch(/Internet|TSR3|escalate/);
    expect(describeCode('rsync', v.code).escalate).toBe(false);
  });

  it('pages TSR3 only for codes that point at the target or the network', () => {
    const escalating = [10, 12, 30, 35, 255];
    for (const c of [-2, 0, 1, 2, 3, 5, 11, 20, 23, 24, 25]) expect(describeCode('rsync', c).escalate, `rsync ${c}`).toBe(false);
    for (const c of escalating) expect(describeCode('rsync', c).escalate, `rsync ${c}`).toBe(true);
    expect(describeCode('restic', 10).escalate).toBe(true);
    expect(describeCode('borg', 13).escalate).toBe(true);
    expect(describeCode('tsm', 4).escalate).toBe(false);
  });
});

describe('UTF-16 logs (what PowerShell writes) are decoded before any parser', () => {
  const cases = [
    ['utf16le-bom-ok-stats', 'ok-stats'],
    ['utf16le-nobom-code23-unreadable-file', 'code23-unreadable-file'],
    ['utf16be-nobom-code24-vanished', 'code24-vanished'],
  ] as const;

  it.each(cases)('%s parses exactly like its UTF-8 original', (utf16, utf8) => {
    const wide = parse(log(utf16));
    const plain = parse(log(utf8));
    expect(wide.format).toBe('rsync');
    expect(wide.code).toBe(plain.code);
    expect(wide.fileErrors).toEqual(plain.fileErrors);
    expect(wide.stats).toEqual(plain.stats);
    expect(wide.lines).toBe(plain.lines);
    expect(wide.bytes).toBe(log(utf16).length);
    expect(wide.messages[0]).toMatch(/UTF-16/);
  });

  it.each(cases)('%s gives the same verdict when its bytes arrive one odd-sized piece at a time', (utf16) => {
    const whole = parse(log(utf16));
    expect(parse(log(utf16), 'auto', 7)).toEqual(whole);
    expect(parse(log(utf16), 'rsync', 3)).toEqual(parse(log(utf16), 'rsync'));
  });

  it('recognises the encodings from a BOM or from NULs in alternate bytes, and leaves binary and UTF-8 alone', () => {
    const text = 'sending incremental file list\nsent 1 bytes  received 2 bytes\n';
    expect(sniffEncoding(Buffer.from(`\ufeff${text}`, 'utf16le')).encoding).toBe('utf-16le');
    expect(sniffEncoding(Buffer.from(text, 'utf16le')).encoding).toBe('utf-16le');
    expect(sniffEncoding(Buffer.from(text, 'utf16le').swap16()).encoding).toBe('utf-16be');
    expect(sniffEncoding(Buffer.from(text)).encoding).toBe('utf-8');
    expect(sniffEncoding(Buffer.from([0, 159, 146, 150, 0, 10, 255])).encoding).toBe('utf-8');
    expect(sniffEncoding(Buffer.from('\ufeffÜbersicht', 'utf8'))).toEqual({ encoding: 'utf-8', bomBytes: 3 });
  });
});

describe('codes are shown with their tool', () => {
  it('labels codes per tool and lists the formats', () => {
    expect(codeLabel('rsync', 23)).toBe('rsync 23');
    expect(codeLabel('tsm', 12)).toBe('TSM 12');
    expect(codeLabel('restic', 3)).toBe('restic 3');
    expect(codeLabel('borg', 1)).toBe('borg 1');
    expect(codeLabel('none', -2)).toBe('code -2');
    expect(FORMATS).toEqual(['auto', 'rsync', 'tsm', 'restic', 'borg']);
    expect(describeCode('tsm', 12)).toMatchObject({ label: 'TSM 12', outcome: 'failed' });
    expect(describeCode('borg', 1).outcome).toBe('partial');
    expect(describeCode('restic', 99).meaning).toMatch(/Unknown restic code 99/);
  });
});
