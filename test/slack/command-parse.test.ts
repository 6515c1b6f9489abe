import { describe, expect, it } from 'vitest';
import { parseBackupCommand } from '../../src/slack/command.ts';
import { editDistance, resolveName } from '../../src/fleet/fuzzy.ts';

describe('/backup text', () => {
  it.each([
    ['', { kind: 'status' }],
    ['status', { kind: 'status' }],
    ['status Acorn Dental', { kind: 'status', target: 'Acorn Dental' }],
    ['fs01', { kind: 'status', target: 'fs01' }],
    ['history fs01', { kind: 'history', server: 'fs01', days: 14 }],
    ['history fs01 30', { kind: 'history', server: 'fs01', days: 30 }],
    ['FAILURES', { kind: 'failures' }],
    ['help', { kind: 'help' }],
  ])('parses %j', (text, want) => {
    expect(parseBackupCommand(text)).toEqual(want);
  });

  it('explains malformed history requests', () => {
    expect(parseBackupCommand('history')).toMatchObject({ kind: 'help', error: expect.stringMatching(/which server/) });
    expect(parseBackupCommand('history fs01 9999')).toMatchObject({ kind: 'help', error: expect.stringMatching(/between 1 and 365/) });
  });
});

describe('fuzzy names', () => {
  const names = ['fs01', 'fs02', 'exchange01', 'Acorn Dental', 'sql-prod'].map((name) => ({ name }));

  it('matches exactly, by unique prefix, and through a small typo', () => {
    expect(resolveName('FS01', names)).toMatchObject({ match: { name: 'fs01' }, guessed: false });
    expect(resolveName('exch', names)).toMatchObject({ match: { name: 'exchange01' }, guessed: true });
    expect(resolveName('acron dental', names)).toMatchObject({ match: { name: 'Acorn Dental' }, guessed: true });
    expect(resolveName('sql-prdo', names)).toMatchObject({ match: { name: 'sql-prod' }, guessed: true });
  });

  it('suggests instead of guessing when the name is ambiguous or unknown', () => {
    const ambiguous = resolveName('fs', names);
    expect(ambiguous.match).toBeNull();
    expect(ambiguous.suggestions.map((s) => s.name)).toEqual(expect.arrayContaining(['fs01', 'fs02']));
    expect(resolveName('fs0', names).match).toBeNull();
    expect(resolveName('zzzzzzzz', names)).toMatchObject({ match: null, suggestions: [] });
  });

  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('acorn', 'acron')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
