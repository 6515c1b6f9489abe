/**
 * Load generator of the ingest benchmark, run as its own process so it does not share an
 * event loop with the service. Reads a LoadConfig (JSON) from argv[2], POSTs unique
 * real-format rsync reports to /api/v1/reports over keep-alive loopback connections, and
 * prints one JSON line (LoadResult).
 */
import { Agent, request } from 'node:http';
import { selfCpuMs } from './cpu.ts';
import { percentile } from './percentile.ts';
import { reportTemplate, type ReportTemplate } from './gen-log.ts';

export interface LoadConfig {
  /** http://127.0.0.1:PORT */
  url: string;
  /** One upload token per server; uploads go round-robin over them. */
  tokens: string[];
  concurrency: number;
  /** Approximate size of each report. */
  reportBytes: number;
  /** Uploads sent (and not counted) before the measurement starts. */
  warmupUploads: number;
  durationMs: number;
  maxUploads: number;
  /** First sequence number (default 0): runs against the same database need different ones. */
  seqStart?: number;
}

export interface LoadResult {
  uploads: number;
  elapsedMs: number;
  uploadsPerSec: number;
  bytesPerUpload: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU (user+system, ms) this load generator used during the measured window. */
  cpuMs: number;
  warmupUploads: number;
  /** Answers other than 201 (warm-up included), by status ("error" for a failed connection). */
  non201: Record<string, number>;
  /** The first few non-201 answers, for the report. */
  samples: string[];
}

interface Answer {
  status: number;
  body: string;
}

async function run(cfg: LoadConfig): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: cfg.concurrency });
  const target = new URL('/api/v1/reports', cfg.url);
  // 3 of 4 reports are clean runs; 1 in 4 ends with code 23 and 3 file errors.
  const templates: ReportTemplate[] = [0, 1, 2, 3].map((i) => reportTemplate(cfg.reportBytes, 1000 + i, i === 3 ? 3 : 0));
  let seq = cfg.seqStart ?? 0;

  function post(): Promise<Answer> {
    const n = seq++;
    const t = templates[n % templates.length]!;
    const token = cfg.tokens[n % cfg.tokens.length]!;
    const tail = t.tail(n);
    return new Promise<Answer>((resolve, reject) => {
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'text/plain; charset=utf-8',
            'content-length': t.head.length + tail.length,
            'x-exit-code': String(t.code),
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.write(t.head);
      req.end(tail);
    });
  }

  const non201: Record<string, number> = {};
  const samples: string[] = [];
  const latencies: number[] = [];
  let measuring = false;
  let done = 0;

  async function worker(stopAt: () => boolean): Promise<void> {
    while (!stopAt()) {
      const t0 = performance.now();
      let status: string;
      try {
        const a = await post();
        status = String(a.status);
        if (a.status !== 201 && samples.length < 5) samples.push(`${a.status} ${a.body.slice(0, 300)}`);
      } catch (err) {
        status = 'error';
        if (samples.length < 5) samples.push(`error ${(err as Error).message}`);
      }
      // Every answer counts towards non201, warm-up included; only measured ones are timed.
      if (status !== '201') non201[status] = (non201[status] ?? 0) + 1;
      if (!measuring) continue;
      latencies.push(performance.now() - t0);
      done++;
    }
  }

  // Warm-up: JIT, connection pools, Postgres caches.
  let warm = 0;
  await Promise.all(Array.from({ length: cfg.concurrency }, () => worker(() => warm++ >= cfg.warmupUploads)));

  // Tells the parent the measured window starts now (it snapshots the server's CPU).
  process.stdout.write(`${JSON.stringify({ event: 'start' })}\n`);
  measuring = true;
  const cpu0 = selfCpuMs();
  const start = performance.now();
  const deadline = start + cfg.durationMs;
  let started = 0;
  await Promise.all(Array.from({ length: cfg.concurrency }, () => worker(() => performance.now() >= deadline || started++ >= cfg.maxUploads)));
  const elapsedMs = performance.now() - start;
  const cpuMs = selfCpuMs() - cpu0;
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const avgBytes = templates.reduce((s, t) => s + t.head.length + t.tail(0).length, 0) / templates.length;
  return {
    uploads: done,
    warmupUploads: cfg.warmupUploads,
    elapsedMs,
    uploadsPerSec: (done / elapsedMs) * 1000,
    bytesPerUpload: Math.round(avgBytes),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? NaN,
    cpuMs,
    non201,
    samples,
  };
}

const arg = process.argv[2];
if (!arg) {
  console.error('usage: load-child.ts CONFIG_JSON');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await run(JSON.parse(arg) as LoadConfig))}\n`);
