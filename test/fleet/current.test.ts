import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { and, desc, eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acknowledge } from '../../src/acks/acknowledge.ts';
import { main } from '../../src/cli/index.ts';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { acknowledgements, customers, results, serverCurrent, servers } from '../../src/db/schema.ts';
import { checkServerCurrent } from '../../src/fleet/current.ts';
import { findServer } from '../../src/fleet/servers.ts';
import { ingestReport } from '../../src/reports/ingest.ts';
import { fleetStatus } from '../../src/reports/status.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 22);
const STATUSES = ['ok', 'failed', 'incomplete', 'suspect', 'missing'] as const;

type Op =
  | { kind: 'result'; server: number; day: number; status: (typeof STATUSES)[number]; code: number }
  | { kind: 'next'; server: number; status: (typeof STATUSES)[number]; code: number }
  | { kind: 'ack'; server: number }
  | { kind: 'deleteResult'; server: number; pick: number }
  | { kind: 'deleteAck'; server: number }
  | { kind: 'setStatus'; server: number; pick: number; status: (typeof STATUSES)[number] };

const SERVERS = 3;
const op: fc.Arbitrary<Op> = fc.oneof(
  // Results come in any order, with ties on the backup time (a reparse of the same night).
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('result' as const), server: fc.nat(SERVERS - 1), day: fc.nat(6), status: fc.constantFrom(...STATUSES), code: fc.constantFrom(0, 23, 24) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack' as const), server: fc.nat(SERVERS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteResult' as const), server: fc.nat(SERVERS - 1), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteAck' as const), server: fc.nat(SERVERS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setStatus' as const), server: fc.nat(SERVERS - 1), pick: fc.nat(20), status: fc.constantFrom(...STATUSES) }) },
);

const next = (status: (typeof STATUSES)[number], code: number, server = 0): Op => ({ kind: 'next', server, status, code });
/** Cases random generation reaches rarely (fast-check favours the first constants), always tried first. */
const EXAMPLES: Op[][] = [
  // An acknowledged failure followed by the same status with another code: the acknowledgement ends.
  [next('failed', 23), { kind: 'ack', server: 0 }, next('failed', 24), next('failed', 24)],
  // The same failure again keeps it; a success ends it.
  [next('incomplete', 24), { kind: 'ack', server: 0 }, next('incomplete', 24), next('ok', 0), next('failed', 23)],
  // A late, older backup, and a reparse of the newest night (same backup time, newer id).
  [next('failed', 23), next('ok', 0), { kind: 'result', server: 0, day: 0, status: 'ok', code: 0 }, { kind: 'result', server: 0, day: 2, status: 'failed', code: 23 }],
  // Deleting the newest result and the acknowledgement in force.
  [next('ok', 0), next('failed', 23), { kind: 'ack', server: 0 }, { kind: 'deleteAck', server: 0 }, { kind: 'deleteResult', server: 0, pick: 1 }],
];

async function apply(db: Db, ids: number[], o: Op): Promise<void> {
  const serverId = ids[o.server]!;
  const mine = () => db.select({ id: results.id }).from(results).where(eq(results.serverId, serverId)).orderBy(results.id);
  switch (o.kind) {
    case 'next':
    case 'result': {
      const missing = o.status === 'missing';
      const [newest] = await db.select({ at: results.backupAt }).from(results).where(eq(results.serverId, serverId)).orderBy(desc(results.backupAt)).limit(1);
      const at = o.kind === 'next' ? new Date((newest?.at.getTime() ?? T0) + DAY) : new Date(T0 + o.day * DAY);
      await db
        .insert(results)
        .values({ serverId, reportId: null, parserVersion: 't/1', format: missing ? 'none' : 'rsync', code: missing ? -1 : o.code, status: o.status, meaning: o.status, completed: o.status === 'ok', backupAt: at })
        .onConflictDoNothing();
      return;
    }
    case 'ack': {
      const [latest] = await db.select().from(results).where(eq(results.serverId, serverId)).orderBy(desc(results.backupAt), desc(results.id)).limit(1);
      if (latest) await acknowledge(db, { serverId, resultId: latest.id, userId: 'U1' }).catch(() => undefined);
      return;
    }
    case 'deleteResult': {
      const rows = await mine();
      if (rows.length) await db.delete(results).where(eq(results.id, rows[o.pick % rows.length]!.id));
      return;
    }
    case 'deleteAck': {
      const [a] = await db.select().from(acknowledgements).where(eq(acknowledgements.serverId, serverId)).orderBy(desc(acknowledgements.id)).limit(1);
      if (a) await db.delete(acknowledgements).where(eq(acknowledgements.id, a.id));
      return;
    }
    case 'setStatus': {
      const rows = await mine();
      if (rows.length) await db.update(results).set({ status: o.status }).where(eq(results.id, rows[o.pick % rows.length]!.id));
      return;
    }
  }
}

describe.each(DATABASES)('server_current on %s', (_name, open) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await open();
    db = t.database.db;
  });
  afterAll(async () => t?.dispose());

  it('equals what the history says after any sequence of results, acknowledgements, deletions and changes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 8, maxLength: 30, size: 'max' }), async (ops) => {
        run++;
        const [c] = await db.insert(customers).values({ name: `C${run}-${Math.random()}` }).returning();
        const ids: number[] = [];
        for (let i = 0; i < SERVERS; i++) {
          const [s] = await db.insert(servers).values({ customerId: c!.id, name: `s${i}`, tokenHash: `${run}-${i}-${Math.random()}` }).returning();
          ids.push(s!.id);
        }
        // Checked after every step: a later step that recomputes the row could hide a wrong one.
        for (const [i, o] of ops.entries()) {
          await apply(db, ids, o);
          const wrong = (await checkServerCurrent(db)).filter((m) => ids.includes(m.serverId));
          expect(wrong, `after step ${i + 1}: ${JSON.stringify(o)}`).toEqual([]);
        }
        // What the fleet views show is the newest result by (backup time, id), from that table.
        const fleet = await fleetStatus(db, { serverIds: ids });
        for (const s of fleet) {
          const [newest] = await db.select({ id: results.id }).from(results).where(eq(results.serverId, s.server.id)).orderBy(desc(results.backupAt), desc(results.id)).limit(1);
          expect(s.latest?.id ?? null).toBe(newest?.id ?? null);
        }
      }),
      { numRuns: 40, seed: 20261123, examples: EXAMPLES.map((e) => [e]) },
    );
  }, 120_000);

  it('is filled in for a database that had results before the table existed', async () => {
    const [c] = await db.insert(customers).values({ name: 'Backfill' }).returning();
    const [s] = await db.insert(servers).values({ customerId: c!.id, name: 'old', tokenHash: 'backfill' }).returning();
    await db.insert(results).values({ serverId: s!.id, parserVersion: 't/1', format: 'rsync', code: 23, status: 'failed', meaning: 'x', completed: true, backupAt: new Date(T0) });
    // Forget the row, as a database migrated from before 0010 would not have had it.
    await db.delete(serverCurrent).where(eq(serverCurrent.serverId, s!.id));
    expect((await checkServerCurrent(db)).map((m) => m.serverId)).toContain(s!.id);
    await db.execute(sql`select server_current_refresh(${s!.id})`);
    expect((await checkServerCurrent(db)).map((m) => m.serverId)).not.toContain(s!.id);
    const [row] = await db.select().from(serverCurrent).where(and(eq(serverCurrent.serverId, s!.id)));
    expect(row).toMatchObject({ lastSuccessAt: null, failingResults: 1, failingSince: new Date(T0) });
  });
});

describe('backupbot doctor', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bb-doctor-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const cli = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(args, { env: { DATA_DIR: dataDir }, io: { out: (s) => (out += s), err: (s) => (err += s), stdin: Readable.from([]) } });
    return { code, out, err };
  };

  it('says the state matches after real uploads, finds a damaged row (exit 1), and --fix repairs it', async () => {
    expect((await cli(['migrate'])).code).toBe(0);
    expect((await cli(['customer', 'add', 'Acme'])).code).toBe(0);
    expect((await cli(['server', 'add', 'Acme', 'fs01'])).code).toBe(0);
    const database = await openDatabase({ dataDir });
    let serverId: number;
    try {
      const server = (await findServer(database.db, 'fs01'))!;
      serverId = server.id;
      for (const name of ['ok-stats.log', 'code23-unreadable-file.log']) {
        const log = readFileSync(join(import.meta.dirname, '../fixtures/rsync', name));
        await ingestReport(database.db, server, Readable.from([log]), { format: 'auto', exitCode: null, startedAt: null, finishedAt: null }, 1e9);
      }
    } finally {
      await database.close();
    }
    const clean = await cli(['doctor']);
    expect(clean).toMatchObject({ code: 0, out: 'Current state matches the history for every server.\n' });

    const damage = await openDatabase({ dataDir });
    await damage.db.update(serverCurrent).set({ lastSuccessAt: null, failingResults: 7 }).where(eq(serverCurrent.serverId, serverId));
    await damage.close();
    const found = await cli(['doctor']);
    expect(found.code).toBe(1);
    expect(found.out).toMatch(new RegExp(`server ${serverId}: .*last_success_at stored null, history says 20`));
    expect(found.out).toContain('failing_results stored 7, history says 1');
    expect(found.err).toContain('backupbot doctor --fix');
    const fixed = await cli(['doctor', '--fix', '--json']);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.out)).toMatchObject({ fixed: 1, remaining: 0 });
    expect((await cli(['doctor'])).code).toBe(0);
  }, 60_000);
});
