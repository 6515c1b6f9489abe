import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/client.ts';
import { customers, fileErrors, results, servers } from '../../src/db/schema.ts';

export interface FleetSpec {
  servers: number;
  failing: number;
  customers?: number;
  now: Date;
  /** Put a path that tries to ping everyone into the first failing server's errors. */
  hostilePath?: string;
}

const BATCH = 1000;

async function insertBatches<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await insert(rows.slice(i, i + BATCH));
}

/**
 * A fleet straight into the database: every server has an ok result from two hours ago,
 * and the first `failing` ones a newer code-23 result with a real file error.
 */
export async function seedFleet(db: Db, spec: FleetSpec): Promise<{ names: string[]; failingNames: string[] }> {
  const nCustomers = spec.customers ?? Math.max(1, Math.ceil(spec.servers / 20));
  const custRows = await db
    .insert(customers)
    .values(Array.from({ length: nCustomers }, (_, i) => ({ name: `Customer ${String(i).padStart(4, '0')}` })))
    .returning({ id: customers.id });
  const names = Array.from({ length: spec.servers }, (_, i) => `srv${String(i).padStart(5, '0')}`);
  const created = new Date(spec.now.getTime() - 30 * 86400_000);
  const serverRows: Array<{ id: number }> = [];
  await insertBatches(names, async (chunk) => {
    const offset = serverRows.length;
    serverRows.push(
      ...(await db
        .insert(servers)
        .values(chunk.map((name, j) => ({ name, customerId: custRows[(offset + j) % nCustomers]!.id, tokenHash: randomBytes(32).toString('hex'), targetHost: `custbak${(offset + j) % 7}`, createdAt: created })))
        .returning({ id: servers.id })),
    );
  });
  const base = { parserVersion: 'rsync/1', format: 'rsync', completed: true };
  await insertBatches(serverRows, (chunk) =>
    db.insert(results).values(chunk.map((s) => ({ ...base, serverId: s.id, code: 0, status: 'ok', meaning: 'Success', backupAt: new Date(spec.now.getTime() - 2 * 3600_000) }))),
  );
  const failing = serverRows.slice(0, spec.failing);
  const failedRows: Array<{ id: number }> = [];
  await insertBatches(failing, async (chunk) => {
    failedRows.push(
      ...(await db
        .insert(results)
        .values(chunk.map((s) => ({ ...base, serverId: s.id, code: 23, status: 'failed', meaning: 'Partial transfer due to error', fileErrorCount: 1, backupAt: new Date(spec.now.getTime() - 3600_000) })))
        .returning({ id: results.id })),
    );
  });
  await insertBatches(failedRows, (chunk) =>
    db.insert(fileErrors).values(
      chunk.map((r, i) => ({
        resultId: r.id,
        path: i === 0 && spec.hostilePath ? spec.hostilePath : `/data/share/locked-${r.id}.pst`,
        kind: 'open',
        message: 'send_files failed to open: Permission denied (13)',
        line: 3,
        excepted: false,
      })),
    ),
  );
  return { names, failingNames: names.slice(0, spec.failing) };
}
