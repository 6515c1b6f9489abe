/**
 * The long fault-injection run (`npm run soak [COUNT]`, default 10,000 per database): the
 * fuzzed uploads of test/fault/fuzz.test.ts at full size, against PGlite and Postgres, with
 * the figures printed for quoting. Exits 1 when any request went unanswered or an
 * acknowledged upload is missing.
 */
import { DATABASES } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';
import { runFuzz } from './fuzz.ts';

const count = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
let failed = false;
for (const [kind, open] of DATABASES) {
  const t = await open();
  const svc = await startTestService(t.database, { UPLOAD_STALL_SECONDS: '1', MAX_REPORT_BYTES: String(64 * 1024), UPLOAD_MAX_PER_TOKEN: '64' });
  try {
    const { token } = await seedServer(t.database);
    const report = await runFuzz({ db: t.database.db, port: svc.port, token, count, concurrency: 16, seed, allowTruncated: true });
    console.log(`[soak ${kind}] seed ${seed}: ${report.requests} requests in ${report.seconds.toFixed(1)} s; unanswered ${report.unanswered}; acknowledged ${report.acknowledged}, lost ${report.lost}; slowest ${report.slowestMs} ms`);
    console.log(`[soak ${kind}] by status ${JSON.stringify(report.byStatus)}`);
    console.log(`[soak ${kind}] by kind ${JSON.stringify(report.byKind)}`);
    if (report.unanswered > 0 || report.lost > 0 || (report.byStatus['500'] ?? 0) > 0) failed = true;
  } finally {
    await svc.stop();
    await t.dispose();
  }
}
console.log(failed ? 'SOAK FAILED' : 'soak passed: every request answered, no acknowledged upload lost');
process.exit(failed ? 1 : 0);
