import { eq } from 'drizzle-orm';
import type { Database } from '../../src/db/client.ts';
import { acknowledgements, exceptions, results, servers } from '../../src/db/schema.ts';
import { seedServer } from '../helpers/service.ts';

/** A log whose file error names a path that is also an HTML injection attempt. */
export const PST_LOG = Buffer.from(
  'sending incremental file list\r\n' +
    'rsync: [sender] send_files failed to open "/srv/share/<script>alert(1)</script>.pst": Device or resource busy (16)\r\n\r\n' +
    'sent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec\r\ntotal size is 99,999  speedup is 77.52\r\n' +
    'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]\r\n\xff\xfe binary tail',
  'latin1',
);

/** First day of the month before `now`'s (UTC), as YYYY-MM. */
export function previousMonth(now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

/**
 * Two customers, three servers, and in the previous month one result per day on days 1-6 for
 * fs01 (ok, failed, incomplete, ok by exceptions, missing, failed and acknowledged), plus an
 * uploaded report (the PST log) this month for fs01 and ok days for the others.
 */
export async function seedWebFleet(database: Database, uploadUrl: string) {
  const db = database.db;
  const fs01 = await seedServer(database, 'Acorn Dental', 'fs01');
  const fs02 = await seedServer(database, 'Acorn Dental', 'fs02');
  const db01 = await seedServer(database, 'Beta Law', 'db01');
  await db.update(servers).set({ targetHost: 'custbak2' }).where(eq(servers.id, db01.server.id));
  const month = previousMonth();
  const at = (day: number) => new Date(`${month}-${String(day).padStart(2, '0')}T22:00:00Z`);
  const base = { parserVersion: 'test/1', format: 'rsync', completed: true };
  const days = [
    { day: 1, code: 0, status: 'ok', meaning: 'Success' },
    { day: 2, code: 23, status: 'failed', meaning: 'Partial transfer due to error' },
    { day: 3, code: -2, status: 'incomplete', meaning: 'Backup did not complete' },
    { day: 4, code: 23, status: 'ok', meaning: 'Partial transfer due to error', okByExceptions: true },
    { day: 5, code: -2, status: 'missing', meaning: 'No report arrived' },
    { day: 6, code: 12, status: 'failed', meaning: 'Error in rsync protocol data stream' },
  ];
  const ids: Record<number, number> = {};
  for (const d of days) {
    const [row] = await db
      .insert(results)
      .values({ ...base, serverId: fs01.server.id, code: d.code, status: d.status, meaning: d.meaning, okByExceptions: d.okByExceptions ?? false, backupAt: at(d.day) })
      .returning({ id: results.id });
    ids[d.day] = row!.id;
  }
  await db.insert(acknowledgements).values({ serverId: fs01.server.id, resultId: ids[6]!, status: 'failed', code: 12, userId: 'U_ALICE', note: 'on it <b>now</b>' });
  for (const s of [fs02, db01]) {
    await db.insert(results).values({ ...base, serverId: s.server.id, code: 0, status: 'ok', meaning: 'Success', backupAt: at(2) });
  }
  await db.insert(exceptions).values({ pattern: '*.pst<img src=x>', scope: 'server', serverId: fs01.server.id, reason: 'Outlook holds it <i>open</i>', createdBy: 'U_BOSS', approvedBy: 'U_BOSS' });
  const res = await fetch(`${uploadUrl}/api/v1/reports`, { method: 'POST', body: PST_LOG, headers: { authorization: `Bearer ${fs01.token}` } });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  const { reportId } = (await res.json()) as { reportId: number };
  return { month, reportId, fs01, fs02, db01 };
}
