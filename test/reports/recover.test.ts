import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exceptions, reportChunks, reports, results } from '../../src/db/schema.ts';
import { createLogger } from '../../src/log.ts';
import { parseStoredReport } from '../../src/reports/ingest.ts';
import { createSafeParser } from '../../src/reports/parse-safely.ts';
import { recoverPending } from '../../src/reports/recover.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer } from '../helpers/service.ts';

const log = readFileSync(join(import.meta.dirname, '../fixtures/rsync/code23-unreadable-file.log'));

describe('a parser that throws', () => {
  it('costs the verdict, not the upload: -2 with a reason that says the raw report is kept', () => {
    const parser = createSafeParser('rsync', {
      isExcepted: () => {
        throw new Error('boom');
      },
    });
    parser.push(log);
    const parsed = parser.end();
    expect(parsed.code).toBe(-2);
    expect(parsed.reason).toMatch(/parser failed on this report \(boom\).*stored unchanged/);
    expect(parsed.bytes).toBe(log.length);
  });
});

describe.each(DATABASES)('recovery and reparse on %s', (_kind, open) => {
  let t: TestDb;
  let server: { id: number; customerId: number };
  beforeAll(async () => {
    t = await open();
    server = (await seedServer(t.database)).server;
  });
  afterAll(() => t?.dispose());

  it('parses at start a report whose raw bytes were committed but never got a result', async () => {
    const { db } = t.database;
    // What a crash right after the raw commit leaves behind.
    const [row] = await db.insert(reports).values({ serverId: server.id, state: 'stored', size: log.length, sha256: 'x' }).returning();
    await db.insert(reportChunks).values({ reportId: row!.id, seq: 0, data: log });
    const [stale] = await db
      .insert(reports)
      .values({ serverId: server.id, state: 'receiving', receivedAt: new Date(Date.now() - 2 * 3600_000) })
      .returning();

    const outcome = await recoverPending(db, createLogger('silent'));
    expect(outcome).toEqual({ parsed: 1, aborted: 1 });
    const [result] = await db.select().from(results).where(eq(results.reportId, row!.id));
    expect(result).toMatchObject({ code: 23, status: 'failed' });
    const [aborted] = await db.select().from(reports).where(eq(reports.id, stale!.id));
    expect(aborted!.state).toBe('aborted');
    expect(await recoverPending(db, createLogger('silent'))).toEqual({ parsed: 0, aborted: 0 });
  });

  it('reparses a stored report with new exceptions and keeps the old result', async () => {
    const { db } = t.database;
    const [row] = await db.select().from(reports).where(eq(reports.state, 'stored'));
    const before = await parseStoredReport(db, row!.id);
    expect(before.verdict.status).toBe('failed');
    await db.insert(exceptions).values({ pattern: '*', scope: 'server', serverId: server.id, reason: 'test', createdBy: 'test' });
    const after = await parseStoredReport(db, row!.id);
    expect(after.verdict).toMatchObject({ code: 23, status: 'ok', okByExceptions: true });
    const all = await db.select().from(results).where(eq(results.reportId, row!.id));
    expect(all.length).toBeGreaterThanOrEqual(3);
  });
});
