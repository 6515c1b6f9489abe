/**
 * npm run bench: parse throughput (vs grep), upload throughput over loopback HTTP into real
 * Postgres and into PGlite, and /backup answer times for 10,000 servers with a year of history.
 * Prints one aligned table on stdout; progress goes to stderr.
 *
 * Exit status: 0 when everything ran (whether or not the performance targets were met),
 * 1 when a correctness check failed (wrong parse verdict, a non-201 answer, rows missing),
 * 2 when the test Postgres cannot be reached.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'drizzle-orm';
import postgres from 'postgres';
import { reports, results } from '../../src/db/schema.ts';
import { pgliteDb, postgresDb, TEST_DATABASE_URL, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';
import { machineBusyPercent, machineCpuMs, processesCpuMs, selfCpuMs } from './cpu.ts';
import { writeBorgLog, writeResticLog, writeRsyncLog, writeTsmLog, type GeneratedLog } from './gen-log.ts';
import type { LoadConfig, LoadResult } from './load-child.ts';
import type { ParseChildResult } from './parse-child.ts';
import { slackCommandBench } from './slack-command.ts';
import { webHistoryBench } from './web-history.ts';
import { suspicionBench } from './suspicion.ts';

const HERE = import.meta.dirname;
const TSX = import.meta.resolve('tsx');
const RUNS = 3;
const PARSE_LINES = 1_000_000;
const SERVERS = 20;
const CONCURRENCY = 32;
const REPORT_BYTES = 50 * 1024;

const TARGET_RATIO = 4;
/** Issue 9: every other tool's parser within 2x of grep -c over the same file. */
const TARGET_RATIO_TOOLS = 2;

/** The other tools' 1M-line logs, and the word `grep -c` counts in each (it must occur). */
const TOOL_LOGS = [
  { tool: 'tsm', write: writeTsmLog, grepWord: 'ANS' },
  { tool: 'restic', write: writeResticLog, grepWord: 'error' },
  { tool: 'borg', write: writeBorgLog, grepWord: 'Errno' },
] as const;
const TARGET_RSS_MB = 150;
const FLAT_RSS_MB = 20;
const TARGET_UPLOADS_PER_SEC = 300;
const SLACK_ACK_MS = 3000;
/** Issue 11: the fleet-wide /backup status at 10,000 servers x a year, p99. */
const STATUS_P99_MS = 300;
/** Issue 11: the nightly summary for 10,000 servers, built (data and messages). */
const NIGHTLY_BUILD_MS = 1000;
const FLEET_SERVERS = 10_000;
const FLEET_DAYS = 365;
const WEB_SERVERS = 2_000;
const WEB_PAGE_MS = 500;
/** Issue 10: judging suspicion adds no more than a few milliseconds to an upload. */
const SUSPICION_MS = 5;

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);
const mb = (bytes: number): number => bytes / 1e6;
const rssMb = (kib: number): number => kib / 1024;
const f = (n: number, digits = 1): string => n.toFixed(digits);

let failed = false;
function check(ok: boolean, what: string): void {
  if (!ok) {
    failed = true;
    log(`CHECK FAILED: ${what}`);
  }
}

/**
 * Runs a TypeScript file in a fresh Node process (through tsx). Each stdout line is handed
 * to onLine as it arrives; resolves with the last line.
 */
function runTs(script: string, args: string[], onLine: (line: string) => void = () => {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(HERE, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let last = '';
    const err: Buffer[] = [];
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      pending += c;
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        last = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        onLine(last);
      }
    });
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(last);
      else reject(new Error(`${script} exited with ${code}: ${Buffer.concat(err).toString('utf8').slice(-2000)}`));
    });
  });
}

async function requirePostgres(): Promise<void> {
  const sql = postgres(TEST_DATABASE_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (err) {
    console.error(
      `bench: cannot reach the test Postgres at ${TEST_DATABASE_URL} (${(err as Error).message}).\n` +
        'Start it (trust auth, loopback) or point TEST_DATABASE_URL at one, then run npm run bench again.',
    );
    process.exit(2);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

// ---------------------------------------------------------------- parse vs grep

interface ParseRow {
  tool: string;
  grepWord: string;
  log: GeneratedLog;
  parseMs: number;
  /** The same read loop with the chunks dropped: what reading alone costs. */
  readOnlyMs: number;
  grepMs: number;
  peakRssKiB: number;
  /** Median of the runs' peaks: GC timing moves single peaks by 10-20 MB on a busy machine. */
  medianPeakRssKiB: number;
  baselineRssKiB: number;
}

/**
 * One `grep -c rsync FILE`, timed by bash's `time` around grep alone, so Node's own
 * process-spawn cost (tens of ms on this VM) is not billed to grep. grep's output must not
 * go to /dev/null: GNU grep then stops at the first match.
 */
function grepOnce(file: string, word = 'rsync'): { ms: number; count: number } {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT=%3R; time grep -c "$2" "$1"', 'bash', file, word], { encoding: 'utf8' });
  if (r.error) throw r.error;
  const seconds = Number(r.stderr.trim().split('\n').pop());
  if (r.status !== 0 || !Number.isFinite(seconds)) throw new Error(`grep -c ${word} ${file} failed: ${r.stderr}`);
  return { ms: seconds * 1000, count: Number(r.stdout.trim()) };
}

async function parseBench(
  dir: string,
  lines: number,
  seed: number,
  tool: { tool: string; write: typeof writeRsyncLog; grepWord: string } = { tool: 'rsync', write: writeRsyncLog, grepWord: 'rsync' },
): Promise<ParseRow> {
  const file = join(dir, `${tool.tool}-${lines}.log`);
  log(`generating ${lines.toLocaleString('en-US')}-line ${tool.tool} log...`);
  const gen = await tool.write(file, lines, 12, seed);
  log(`  ${f(mb(gen.bytes))} MB; grep x${RUNS}, parse x${RUNS}, read-only x${RUNS} (child processes)`);
  const greps = Array.from({ length: RUNS }, () => grepOnce(file, tool.grepWord));
  // At least the closing line and the per-file error lines.
  check(greps.every((g) => g.count >= 2), `grep -c ${tool.grepWord} found ${greps[0]?.count} lines in ${file}`);
  const parses: ParseChildResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = JSON.parse(await runTs('parse-child.ts', [file])) as ParseChildResult;
    check(r.format === tool.tool, `parser detected ${r.format}, the log is ${tool.tool}`);
    check(r.bytes === gen.bytes, `parser saw ${r.bytes} bytes, file has ${gen.bytes}`);
    check(r.lines === gen.lines, `parser counted ${r.lines} lines, file has ${gen.lines}`);
    check(r.code === gen.code, `parser gave code ${r.code}, expected ${gen.code}`);
    check(r.fileErrorCount === gen.fileErrors, `parser found ${r.fileErrorCount} file errors, expected ${gen.fileErrors}`);
    parses.push(r);
  }
  const reads: ParseChildResult[] = [];
  for (let i = 0; i < RUNS; i++) reads.push(JSON.parse(await runTs('parse-child.ts', [file, '--read-only'])) as ParseChildResult);
  return {
    tool: tool.tool,
    grepWord: tool.grepWord,
    readOnlyMs: Math.min(...reads.map((p) => p.ms)),
    log: gen,
    parseMs: Math.min(...parses.map((p) => p.ms)),
    grepMs: Math.min(...greps.map((g) => g.ms)),
    peakRssKiB: Math.max(...parses.map((p) => p.peakRssKiB)),
    medianPeakRssKiB: parses.map((p) => p.peakRssKiB).sort((a, b) => a - b)[Math.floor(parses.length / 2)]!,
    baselineRssKiB: Math.max(...parses.map((p) => p.baselineRssKiB)),
  };
}

// ---------------------------------------------------------------- whole CLI processes

const BIN = join(HERE, '../../src/bin/backupbot.cjs');
const PROCESS_RUNS = 15;
const TARGET_HELP_MS = 300;
const TARGET_CLI_PARSE_RATIO = 3;

/** Wall time of one whole process, from spawn to exit, in ms (output read and dropped). */
function processMs(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.status}: ${r.stderr.slice(-500)}`);
  return { ms, stdout: r.stdout };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** What the bin runs: the bundle with or without its code cache, or the sources (tsx). */
function binRuns(): string {
  const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', env: { ...process.env, BACKUPBOT_TRACE_START: '1' } });
  const m = /code cache: (\w+)/.exec(r.stderr);
  return m ? `bundle, code cache ${m[1]}` : 'sources through tsx (dist/ missing or stale)';
}

/**
 * `backupbot --help` and `backupbot parse FILE --json` as a user runs them (node + the bin,
 * start-up included; npx's own start adds about half a second on top and is not ours),
 * next to `grep -c` over the same file and Node starting on an empty file, all spawned the
 * same way. Runs are interleaved so a busy moment on the machine hits each command alike;
 * medians are reported.
 *
 * NODE_EXTRA_CA_CERTS (set on some machines for a proxy) makes Node 20 read and parse that
 * certificate file at every start, before any JavaScript runs. When it is set, parse is
 * also timed without it, for information: the target is judged as the machine is.
 */
function cliProcessRows(file: GeneratedLog): Row[] {
  const runs = binRuns();
  const extraCerts = process.env.NODE_EXTRA_CA_CERTS;
  const withoutCerts = { ...process.env };
  delete withoutCerts.NODE_EXTRA_CA_CERTS;
  const empty = join(HERE, 'empty.cjs');
  log(`whole processes: backupbot --help, backupbot parse, grep -c, node on an empty file, ${PROCESS_RUNS} runs each (${runs})`);
  processMs(process.execPath, [BIN, '--help']);
  const help: number[] = [];
  const parse: number[] = [];
  const parseNoCerts: number[] = [];
  const grep: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < PROCESS_RUNS; i++) {
    help.push(processMs(process.execPath, [BIN, '--help']).ms);
    const p = processMs(process.execPath, [BIN, 'parse', file.path, '--json']);
    const verdict = JSON.parse(p.stdout) as { code: number; counts: { lines: number } };
    check(verdict.code === file.code && verdict.counts.lines === file.lines, `backupbot parse gave code ${verdict.code} over ${verdict.counts.lines} lines`);
    parse.push(p.ms);
    grep.push(processMs('grep', ['-c', 'rsync', file.path]).ms);
    node.push(processMs(process.execPath, [empty]).ms);
    if (extraCerts) parseNoCerts.push(processMs(process.execPath, [BIN, 'parse', file.path, '--json'], withoutCerts).ms);
  }
  const sec = 'CLI processes';
  const ratio = median(parse) / median(grep);
  const rows: Row[] = [
    [sec, `backupbot --help, median of ${PROCESS_RUNS} (${runs})`, `${f(median(help), 0)} ms`, `< ${TARGET_HELP_MS} ms`, status(median(help) < TARGET_HELP_MS)],
    [sec, `backupbot parse 1M-line log --json, median of ${PROCESS_RUNS}`, `${f(median(parse), 0)} ms`, '', ''],
    [sec, `grep -c rsync same file, median of ${PROCESS_RUNS}`, `${f(median(grep), 0)} ms`, '', ''],
    [sec, `node on an empty file (Node's own start), median of ${PROCESS_RUNS}`, `${f(median(node), 0)} ms`, '', ''],
    [sec, 'ratio backupbot parse / grep -c (whole processes)', `${f(ratio)}x`, `<= ${TARGET_CLI_PARSE_RATIO}x`, status(ratio <= TARGET_CLI_PARSE_RATIO)],
  ];
  if (extraCerts) {
    rows.push([sec, `backupbot parse with NODE_EXTRA_CA_CERTS unset (it is set here), median of ${PROCESS_RUNS}`, `${f(median(parseNoCerts), 0)} ms`, '', '']);
    rows.push([sec, 'ratio of that to grep -c (information)', `${f(median(parseNoCerts) / median(grep))}x`, '', '']);
  }
  return rows;
}

// ---------------------------------------------------------------- ingest

interface IngestRow extends LoadResult {
  kind: string;
  /** CPU (ms) used during the measured window, by whom; null where /proc is not available. */
  cpu: { service: number; postgres: number | null; machine: number | null };
}

interface CpuSnapshot {
  service: number;
  postgres: number | null;
  machine: number | null;
}

function cpuSnapshot(withPostgres: boolean): CpuSnapshot {
  return { service: selfCpuMs(), postgres: withPostgres ? processesCpuMs('postgres') : null, machine: machineCpuMs()?.busy ?? null };
}

const minus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

async function ingestBench(kind: string, open: () => Promise<TestDb>, durationMs: number, warmupUploads: number): Promise<IngestRow> {
  log(`ingest into ${kind}: starting the service, seeding ${SERVERS} servers...`);
  const t = await open();
  try {
    const svc = await startTestService(t.database);
    try {
      const tokens: string[] = [];
      for (let i = 0; i < SERVERS; i++) {
        const { token } = await seedServer(t.database, `Bench Customer ${i % 5}`, `bench-fs${String(i).padStart(2, '0')}`);
        tokens.push(token);
      }
      const cfg: LoadConfig = {
        url: svc.url,
        tokens,
        concurrency: CONCURRENCY,
        reportBytes: REPORT_BYTES,
        warmupUploads,
        durationMs,
        maxUploads: 50_000,
      };
      log(`  ${warmupUploads} warm-up uploads, then ${durationMs / 1000} s at concurrency ${CONCURRENCY} (load generator in a child process)`);
      const withPostgres = kind === 'postgres';
      let before: CpuSnapshot | null = null;
      const last = await runTs('load-child.ts', [JSON.stringify(cfg)], (line) => {
        if (line.includes('"event":"start"')) before = cpuSnapshot(withPostgres);
      });
      const after = cpuSnapshot(withPostgres);
      const r = JSON.parse(last) as LoadResult;
      const start: CpuSnapshot = before ?? after;
      const cpu = {
        service: after.service - start.service,
        postgres: minus(after.postgres, start.postgres),
        machine: minus(after.machine, start.machine),
      };
      for (const s of r.samples) log(`  non-201 sample: ${s}`);
      const sent = r.uploads + r.warmupUploads;
      const [stored] = await t.database.db.select({ n: count() }).from(reports);
      const [parsed] = await t.database.db.select({ n: count() }).from(results);
      check(stored?.n === sent, `${kind}: ${stored?.n} reports stored for ${sent} uploads`);
      check(parsed?.n === sent, `${kind}: ${parsed?.n} results stored for ${sent} uploads`);
      check(Object.keys(r.non201).length === 0, `${kind}: non-201 answers ${JSON.stringify(r.non201)}`);
      return { kind, ...r, cpu };
    } finally {
      await svc.stop();
    }
  } finally {
    await t.dispose();
  }
}

// ---------------------------------------------------------------- ingest vs the plain-insert baseline

/** Issue 11: backupbot's uploads/s at least the plain-insert baseline's, p99 no worse. */
const TARGET_BASELINE_RATIO = 1.0;
const COMPARE_PAIRS = 3;

interface CompareRun extends LoadResult {
  kind: 'baseline' | 'backupbot';
  serverCpuMs: number;
  postgresCpuMs: number | null;
  machineCpuMs: number | null;
}

/** Starts baseline-child.ts on the database; resolves with its URL and a way to read its CPU and stop it. */
function startBaseline(url: string, max: number): Promise<{ url: string; cpuMs: () => Promise<number>; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(HERE, 'baseline-child.ts'), JSON.stringify({ url, max })], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.stdout.setEncoding('utf8');
    let out = '';
    child.stdout.on('data', (c: string) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      const { port } = JSON.parse(out.slice(0, nl)) as { port: number };
      const base = `http://127.0.0.1:${port}`;
      resolve({
        url: base,
        cpuMs: async () => ((await (await fetch(`${base}/cpu`)).json()) as { cpuMs: number }).cpuMs,
        stop: () => child.stdin.end(),
      });
    });
    child.on('exit', (code) => reject(new Error(`baseline-child exited with ${code}`)));
  });
}

/**
 * backupbot next to the simplest lossless ingest (baseline-child.ts: one INSERT statement of
 * the raw body and a fixed verdict per request, postgres.js with the same pool size), on the
 * same Postgres database, servers and tokens, with the same load generator, bodies and
 * concurrency. Runs alternate (baseline, backupbot, baseline, ...) so a busy moment on the
 * shared machine hits both alike; medians are reported.
 */
async function ingestCompare(durationMs: number, warmupUploads: number): Promise<Row[]> {
  log(`ingest vs baseline: ${COMPARE_PAIRS} x (baseline, backupbot), ${warmupUploads} warm-up uploads + ${durationMs / 1000} s each`);
  const t = await postgresDb();
  const runs: CompareRun[] = [];
  try {
    const svc = await startTestService(t.database);
    const baseline = await startBaseline(t.url!, 5);
    try {
      const tokens: string[] = [];
      for (let i = 0; i < SERVERS; i++) {
        const { token } = await seedServer(t.database, `Bench Customer ${i % 5}`, `bench-fs${String(i).padStart(2, '0')}`);
        tokens.push(token);
      }
      let seqStart = 0;
      for (let pair = 0; pair < COMPARE_PAIRS; pair++) {
        for (const kind of ['baseline', 'backupbot'] as const) {
          const cfg: LoadConfig = { url: kind === 'baseline' ? baseline.url : svc.url, tokens, concurrency: CONCURRENCY, reportBytes: REPORT_BYTES, warmupUploads, durationMs, maxUploads: 50_000, seqStart };
          const serverCpu = kind === 'baseline' ? baseline.cpuMs : async () => selfCpuMs();
          const [before] = await t.database.db.select({ n: count() }).from(reports);
          let start: { server: number; postgres: number | null; machine: number | null } | null = null;
          let pendingStart: Promise<void> | null = null;
          const last = await runTs('load-child.ts', [JSON.stringify(cfg)], (line) => {
            if (!line.includes('"event":"start"')) return;
            const postgresNow = processesCpuMs('postgres');
            const machineNow = machineCpuMs()?.busy ?? null;
            pendingStart = serverCpu().then((server) => void (start = { server, postgres: postgresNow, machine: machineNow }));
          });
          const endServer = await serverCpu();
          const endPostgres = processesCpuMs('postgres');
          const endMachine = machineCpuMs()?.busy ?? null;
          if (pendingStart) await pendingStart;
          const r = JSON.parse(last) as LoadResult;
          seqStart += r.uploads + r.warmupUploads + 1000;
          const s = start ?? { server: endServer, postgres: endPostgres, machine: endMachine };
          for (const sample of r.samples) log(`  ${kind} non-201 sample: ${sample}`);
          const sent = r.uploads + r.warmupUploads;
          const [afterReports] = await t.database.db.select({ n: count() }).from(reports);
          check(afterReports!.n - before!.n === sent, `${kind}: ${afterReports!.n - before!.n} reports stored for ${sent} uploads`);
          check(Object.keys(r.non201).length === 0, `${kind}: non-201 answers ${JSON.stringify(r.non201)}`);
          log(`  ${kind}: ${f(r.uploadsPerSec)} uploads/s, p50 ${f(r.p50Ms)} ms, p99 ${f(r.p99Ms)} ms`);
          runs.push({ kind, ...r, serverCpuMs: endServer - s.server, postgresCpuMs: minus(endPostgres, s.postgres), machineCpuMs: minus(endMachine, s.machine) });
        }
      }
      const [stored] = await t.database.db.select({ n: count() }).from(reports);
      const [parsed] = await t.database.db.select({ n: count() }).from(results);
      check(stored?.n === parsed?.n, `ingest vs baseline: ${stored?.n} reports but ${parsed?.n} results`);
    } finally {
      baseline.stop();
      await svc.stop();
    }
  } finally {
    await t.dispose();
  }
  return compareRows(runs);
}

function compareRows(runs: CompareRun[]): Row[] {
  const sec = 'ingest vs baseline';
  const of = (kind: CompareRun['kind']) => runs.filter((r) => r.kind === kind);
  const med = (kind: CompareRun['kind'], pick: (r: CompareRun) => number) => median(of(kind).map(pick));
  const cpu = (kind: CompareRun['kind'], pick: (r: CompareRun) => number | null) => {
    const xs = of(kind).map((r) => {
      const v = pick(r);
      return v === null ? null : v / r.uploads;
    });
    return xs.includes(null) ? 'n/a' : `${f(median(xs as number[]), 2)} ms`;
  };
  const rows: Row[] = [];
  for (const kind of ['baseline', 'backupbot'] as const) {
    const label = kind === 'baseline' ? 'baseline (one INSERT statement per upload)' : 'backupbot';
    rows.push([sec, `${label}: uploads/s, median of ${of(kind).length} (runs: ${of(kind).map((r) => f(r.uploadsPerSec, 0)).join(', ')})`, `${f(med(kind, (r) => r.uploadsPerSec))} uploads/s`, '', '']);
    rows.push([sec, `${label}: latency p50 / p99, medians`, `${f(med(kind, (r) => r.p50Ms))} / ${f(med(kind, (r) => r.p99Ms))} ms`, '', '']);
    rows.push([sec, `${label}: CPU/upload server / postgres / machine, medians`, `${cpu(kind, (r) => r.serverCpuMs)} / ${cpu(kind, (r) => r.postgresCpuMs)} / ${cpu(kind, (r) => r.machineCpuMs)}`, '', '']);
  }
  const ratio = med('backupbot', (r) => r.uploadsPerSec) / med('baseline', (r) => r.uploadsPerSec);
  rows.push([sec, 'ratio backupbot / baseline uploads/s', f(ratio, 2), `>= ${f(TARGET_BASELINE_RATIO)}`, status(ratio >= TARGET_BASELINE_RATIO)]);
  const p99 = med('backupbot', (r) => r.p99Ms);
  const p99Base = med('baseline', (r) => r.p99Ms);
  rows.push([sec, 'latency p99 backupbot vs baseline', `${f(p99)} vs ${f(p99Base)} ms`, '<= baseline', status(p99 <= p99Base)]);
  return rows;
}

// ---------------------------------------------------------------- table

type Row = [section: string, measurement: string, result: string, target: string, status: string];

function renderTable(rows: Row[]): string {
  const head: Row = ['Section', 'Measurement', 'Result', 'Target', 'Status'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: Row) =>
    r
      .map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const status = (ok: boolean): string => (ok ? 'met' : 'NOT MET');

function parseRows(p: ParseRow, label: string, target = TARGET_RATIO): Row[] {
  const ratio = p.parseMs / p.grepMs;
  const peak = rssMb(p.peakRssKiB);
  const sec = `parse ${label}`;
  return [
    [sec, `file (${p.log.lines.toLocaleString('en-US')} lines)`, `${f(mb(p.log.bytes))} MB`, '', ''],
    [sec, `createParser('auto') wall, best of ${RUNS}`, `${f(p.parseMs / 1000, 3)} s`, '', ''],
    [sec, 'parse throughput', `${f(mb(p.log.bytes) / (p.parseMs / 1000), 0)} MB/s`, '', ''],
    [sec, `same read loop, no parser, best of ${RUNS}`, `${f(p.readOnlyMs / 1000, 3)} s`, '', ''],
    [sec, `grep -c ${p.grepWord} wall, best of ${RUNS}`, `${f(p.grepMs / 1000, 3)} s`, '', ''],
    [sec, 'ratio parse / grep', `${f(ratio)}x`, `<= ${target}x`, status(ratio <= target)],
    [sec, 'child RSS before parsing (node+tsx)', `${f(rssMb(p.baselineRssKiB))} MB`, '', ''],
    [sec, `peak RSS (maxRSS), worst of ${RUNS}`, `${f(peak)} MB`, `< ${TARGET_RSS_MB} MB`, status(peak < TARGET_RSS_MB)],
  ];
}

function ingestRows(r: IngestRow, target: boolean): Row[] {
  const sec = `ingest ${r.kind}`;
  const bad = Object.values(r.non201).reduce((a, b) => a + b, 0);
  return [
    [sec, `uploads (~${f(r.bytesPerUpload / 1024, 0)} KB, c=${CONCURRENCY}, ${SERVERS} servers)`, `${r.uploads} in ${f(r.elapsedMs / 1000)} s`, '', ''],
    [
      sec,
      'throughput',
      `${f(r.uploadsPerSec)} uploads/s`,
      target ? `>= ${TARGET_UPLOADS_PER_SEC}/s` : '(info)',
      target ? status(r.uploadsPerSec >= TARGET_UPLOADS_PER_SEC) : '',
    ],
    [sec, 'latency p50', `${f(r.p50Ms)} ms`, '', ''],
    [sec, 'latency p99', `${f(r.p99Ms)} ms`, '', ''],
    [sec, 'non-201 answers (incl. warm-up)', String(bad), '0', status(bad === 0)],
    ...cpuRows(r, sec),
  ];
}

/** Where the CPU went during the measured window, per upload and as a share of one core. */
function cpuRows(r: IngestRow, sec: string): Row[] {
  const cell = (ms: number | null): string =>
    ms === null ? 'n/a' : `${f(ms / r.uploads, 2)} ms = ${f((ms / r.elapsedMs) * 100, 0)}% of a core`;
  const other = r.cpu.machine === null ? null : r.cpu.machine - r.cpu.service - (r.cpu.postgres ?? 0) - r.cpuMs;
  const rows: Row[] = [[sec, 'CPU/upload: service process (one event loop)', cell(r.cpu.service), '', '']];
  if (r.cpu.postgres !== null) rows.push([sec, 'CPU/upload: postgres (all backends)', cell(r.cpu.postgres), '', '']);
  rows.push([sec, 'CPU/upload: load generator process', cell(r.cpuMs), '', '']);
  rows.push([sec, 'CPU/upload: rest of the machine', cell(other), '', '']);
  return rows;
}

async function main(): Promise<void> {
  const started = performance.now();
  await requirePostgres();
  const idleCheck = await machineBusyPercent(1000);
  const dir = mkdtempSync(join(tmpdir(), 'backupbot-bench-'));
  // The generated logs are hundreds of MB: do not leave them behind on Ctrl-C.
  process.once('SIGINT', () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
  const rows: Row[] = [];
  // `npm run bench -- suspicion`: the suspicion section only.
  if (process.argv.includes('suspicion')) {
    await suspicionSection(rows);
    rmSync(dir, { recursive: true, force: true });
    printTable(started, idleCheck, rows);
    return;
  }
  try {
    // `npm run bench -- ingest`: only backupbot against the plain-insert baseline in Postgres (about 1 minute).
    if (process.argv.includes('ingest')) {
      rows.push(...(await ingestCompare(6_000, 200)));
      return printTable(started, idleCheck, rows);
    }
    // `npm run bench -- fleet`: only /backup and the nightly summary at 10,000 servers (about 3 minutes, most of it seeding).
    if (process.argv.includes('fleet')) {
      rows.push(...(await fleetRows()));
      return printTable(started, idleCheck, rows);
    }
    // `npm run bench -- cli`: only the whole-process CLI timings (about 20 s).
    if (process.argv.includes('cli')) {
      log(`generating ${PARSE_LINES.toLocaleString('en-US')}-line rsync log...`);
      rows.push(...cliProcessRows(await writeRsyncLog(join(dir, 'rsync-cli.log'), PARSE_LINES, 12, 42)));
      return printTable(started, idleCheck, rows);
    }
    const small = await parseBench(dir, PARSE_LINES, 42);
    rows.push(...parseRows(small, '1M lines'));
    rows.push(...cliProcessRows(small.log));
    rmSync(small.log.path);
    const big = await parseBench(dir, 4 * PARSE_LINES, 43);
    rows.push(...parseRows(big, '4M lines'));
    rmSync(big.log.path);
    const growth = rssMb(big.medianPeakRssKiB) - rssMb(small.medianPeakRssKiB);
    rows.push([
      'parse 4M vs 1M',
      `median peak RSS growth, +${f(mb(big.log.bytes - small.log.bytes), 0)} MB input`,
      `${growth >= 0 ? '+' : ''}${f(growth)} MB`,
      `flat (< ${FLAT_RSS_MB} MB)`,
      status(Math.abs(growth) < FLAT_RSS_MB),
    ]);
    for (const tool of TOOL_LOGS) {
      const r = await parseBench(dir, PARSE_LINES, 44, tool);
      rows.push(...parseRows(r, `${tool.tool} 1M`, TARGET_RATIO_TOOLS));
      rmSync(r.log.path);
    }
    // `npm run bench -- parse`: the parse sections only.
    if (!process.argv.includes('parse')) await otherSections(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(started, idleCheck, rows);
}

/** Upload throughput into Postgres and PGlite, then /backup and the web pages at scale. */
async function otherSections(rows: Row[]): Promise<void> {
  {
    const pg = await ingestBench('postgres', postgresDb, 10_000, 300);
    rows.push(...ingestRows(pg, true));
    rows.push(...(await ingestCompare(6_000, 200)));
    const lite = await ingestBench('pglite', pgliteDb, 4_000, 100);
    rows.push(...ingestRows(lite, false));

    rows.push(...(await fleetRows()));

    const web = await webHistoryBench(WEB_SERVERS, FLEET_DAYS, 20, log);
    const wsec = 'web pages';
    rows.push([wsec, `fleet: servers x days of results (seeded in ${f(web.seedSeconds, 0)} s)`, `${web.servers.toLocaleString('en')} x ${FLEET_DAYS} = ${web.results.toLocaleString('en')}`, '', '']);
    for (const p of web.timings) {
      // The target is the history page of the whole 2,000-server fleet for a month; the rest are shown for scale.
      const target = p.path === `/reports/history?per=${WEB_SERVERS}`;
      rows.push([wsec, `${p.what}: p50 / p95 of 20 (${f(p.kb / 1024)} MB)`, `${f(p.p50Ms, 0)} / ${f(p.p95Ms, 0)} ms`, target ? `p95 < ${WEB_PAGE_MS} ms` : '', target ? status(p.p95Ms < WEB_PAGE_MS) : '']);
    }
  }
  await suspicionSection(rows);
}

/** /backup and the nightly summary at 10,000 servers x a year (`npm run bench -- fleet` alone). */
async function fleetRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const cmd = await slackCommandBench(FLEET_SERVERS, FLEET_DAYS, 30, log);
  const sec = '/backup at scale';
  rows.push([sec, `fleet: servers x days of results (seeded in ${f(cmd.seedSeconds, 0)} s)`, `${cmd.servers.toLocaleString('en')} x ${FLEET_DAYS} = ${cmd.results.toLocaleString('en')}`, '', '']);
  rows.push([sec, 'server_current filled from that history (what migration 0010 does)', `${f(cmd.backfillSeconds, 1)} s`, '', '']);
  for (const c of cmd.timings) {
    // The issue's target is the fleet-wide /backup status; the rest keep Slack's 3 s.
    const fleetWide = c.text === 'status';
    const target = fleetWide ? STATUS_P99_MS : SLACK_ACK_MS;
    rows.push([sec, `/backup ${c.text}: p50 / p99 / max of ${c.runs}, signed request to reply`, `${f(c.p50Ms, 0)} / ${f(c.p99Ms, 0)} / ${f(c.maxMs, 0)} ms`, fleetWide ? `p99 < ${target} ms` : `< ${target} ms`, status((fleetWide ? c.p99Ms : c.maxMs) < target)]);
  }
  rows.push([
    sec,
    `nightly summary built (${cmd.nightly.problems} problems, ${cmd.nightly.messages} messages): p50 / max of ${cmd.nightly.runs}`,
    `${f(cmd.nightly.p50Ms, 0)} / ${f(cmd.nightly.maxMs, 0)} ms`,
    `< ${NIGHTLY_BUILD_MS} ms`,
    status(cmd.nightly.maxMs < NIGHTLY_BUILD_MS),
  ]);
  return rows;
}

/** The baseline query every upload makes, at 10,000 servers x a year of reports. */
async function suspicionSection(rows: Row[]): Promise<void> {
  const s = await suspicionBench(FLEET_SERVERS, FLEET_DAYS, 500, log);
  for (const line of s.plan) log(`  plan: ${line}`);
  const sec = 'suspicion at scale';
  rows.push([sec, `fleet: servers x days of reports and results (seeded in ${f(s.seedSeconds, 0)} s)`, `${s.servers.toLocaleString('en')} x ${FLEET_DAYS} = ${s.results.toLocaleString('en')} results`, '', '']);
  rows.push([sec, 'uses the partial index results_server_good_idx', s.plan.some((l) => l.includes('results_server_good_idx')) ? 'yes' : 'no', 'yes', status(s.plan.some((l) => l.includes('results_server_good_idx')))]);
  rows.push([sec, `baseline query per upload (last 14 good runs): p50 / p99 / max of ${s.calls}`, `${f(s.p50Ms, 2)} / ${f(s.p99Ms, 2)} / ${f(s.maxMs, 2)} ms`, `p99 < ${SUSPICION_MS} ms`, status(s.p99Ms < SUSPICION_MS)]);
}

function printTable(started: number, idleCheck: number | null, rows: Row[]): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `backupbot bench: node ${process.version}, ${cpus().length} CPUs (${cpu}), ` +
      `Postgres ${TEST_DATABASE_URL.replace(/\/\/[^@/]*@/, '//')}, total ${f((performance.now() - started) / 1000)} s\n` +
      `machine CPU busy before the bench started: ${idleCheck === null ? 'n/a' : `${f(idleCheck, 0)}% of ${cpus().length * 100}%`}` +
      ' (other work on the machine skews every number below)\n\n',
  );
  process.stdout.write(`${renderTable(rows)}\n`);
  if (failed) {
    log('some correctness checks failed (see above)');
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (err) {
  const message = (err as Error).message;
  console.error(`bench: ${message}`);
  // postgresDb() says "Cannot use the test Postgres at ..." when it cannot create its database.
  process.exit(/test Postgres/.test(message) ? 2 : 1);
}
