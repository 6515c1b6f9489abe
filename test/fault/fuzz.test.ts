import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';
import { runFuzz } from './fuzz.ts';

/** CI size; `npm run soak` runs the same generator with 10,000 requests and more. */
const COUNT = Number(process.env.FUZZ_COUNT ?? 1000);

describe.each(DATABASES)('fuzzed uploads on %s', (kind, open) => {
  let t: TestDb;
  let svc: Service;
  let token: string;

  beforeAll(async () => {
    t = await open();
    svc = await startTestService(t.database, { UPLOAD_STALL_SECONDS: '1', MAX_REPORT_BYTES: String(64 * 1024) });
    token = (await seedServer(t.database)).token;
  });
  afterAll(async () => {
    await svc?.stop();
    await t?.dispose();
  });

  it(`answers every one of ${COUNT} hostile requests and loses no acknowledged upload`, async () => {
    const report = await runFuzz({ db: t.database.db, port: svc.port, token, count: COUNT, concurrency: 8, seed: 20261123, allowTruncated: true });
    console.log(`[fuzz ${kind}] ${JSON.stringify(report)}`);
    expect(report.unanswered).toBe(0);
    expect(report.lost).toBe(0);
    // A 500 would mean an input the service did not foresee.
    expect(report.byStatus['500'] ?? 0).toBe(0);
    expect(report.acknowledged).toBeGreaterThan(COUNT / 10);
  }, 120_000);
});
