/**
 * Generates real-format verbose rsync logs (`rsync -av --delete`) for the benchmarks.
 *
 * The shapes are the ones in test/fixtures/rsync/*.log (captured from rsync 3.5.0):
 * a file list of directories (ending in "/") and files, some "deleting ..." lines, a
 * handful of per-file error lines, then the summary and, when files failed, the closing
 * "rsync error: ... (code 23)" line. Output is deterministic for a given seed.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Small, fast, deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (rand: Rand, n: number): number => Math.floor(rand() * n);
const pick = <T>(rand: Rand, items: readonly T[]): T => items[int(rand, items.length)]!;
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

const HOME_DIRS = ['Documents', 'Pictures', 'Downloads', 'Desktop', 'Music', 'Projects', '.config', '.thunderbird', 'Videos'] as const;
const HOME_SUBDIRS = [
  (r: Rand) => `Project ${1 + int(r, 40)}`,
  (r: Rand) => `${2015 + int(r, 11)}`,
  (r: Rand) => `Invoices ${2019 + int(r, 7)}-${pad(1 + int(r, 12), 2)}`,
  (r: Rand) => `Client – Müller GmbH/Angebote ${2020 + int(r, 6)}`,
  (r: Rand) => `Scans/${2018 + int(r, 8)}/${pad(1 + int(r, 12), 2)}`,
  (r: Rand) => `src/backupbot-${int(r, 9)}/node_modules/@types/node${int(r, 3) === 0 ? '/ts5.6' : ''}`,
  (r: Rand) => `Holiday photos – Côte d'Azur ${2010 + int(r, 15)}`,
  () => '',
] as const;
const DEPTS = ['Accounting', 'HR', 'Sales', 'Engineering', 'Legal', 'Marketing', 'Operations'] as const;
const SITES = ['www.acorn-dental.example', 'shop.birch-legal.example', 'intranet.cedar.example'] as const;
const STEMS = [
  'report',
  'invoice',
  'IMG',
  'scan',
  'notes',
  'Meeting notes – Q3 planning (final) v2',
  'budget',
  'contract',
  'DSC',
  'export',
  'index',
  'Screenshot 2024-03-14 at 09.41.22',
  'Angebot_Kunde_Überarbeitung',
  'a',
] as const;
const EXTS = ['.docx', '.xlsx', '.pdf', '.jpg', '.JPG', '.png', '.txt', '.md', '.js', '.d.ts', '.json', '.eml', '.mp3', '.tar.gz', ''] as const;

/** A directory path (with trailing "/") as rsync prints it relative to the source. */
function randomDir(rand: Rand): string {
  const root = rand();
  if (root < 0.6) {
    const sub = pick(rand, HOME_SUBDIRS)(rand);
    return `home/user${int(rand, 60)}/${pick(rand, HOME_DIRS)}/${sub ? `${sub}/` : ''}`;
  }
  if (root < 0.75) return `srv/shares/${pick(rand, DEPTS)}/${2016 + int(rand, 10)}/Q${1 + int(rand, 4)}/`;
  if (root < 0.85) return `var/www/${pick(rand, SITES)}/htdocs/wp-content/uploads/${2018 + int(rand, 8)}/${pad(1 + int(rand, 12), 2)}/`;
  if (root < 0.93) return `data/projects/P-${pad(int(rand, 5000), 5)}/deliverables/`;
  if (root < 0.97) return `opt/app/releases/2024.${int(rand, 12)}.${int(rand, 9)}/lib/`;
  return `etc/${pick(rand, ['nginx/sites-available', 'cron.d', 'ssl/private', 'systemd/system'] as const)}/`;
}

function randomFile(rand: Rand, n: number): string {
  const stem = pick(rand, STEMS);
  return `${stem}-${pad(n, 6)}${pick(rand, EXTS)}`;
}

/** The error shapes rsync 3.5.0 prints for one file (see the code23/code24 fixtures). */
function errorLine(kind: number, srcRoot: string, rel: string): string {
  switch (kind % 4) {
    case 0:
      return `rsync: [sender] send_files failed to open "${srcRoot}${rel}": Permission denied (13)`;
    case 1:
      return `rsync: [sender] opendir "${srcRoot}${rel.replace(/\/?[^/]*$/, '')}" failed: Permission denied (13)`;
    case 2:
      return `file has vanished: "${srcRoot}${rel}"`;
    default:
      return `symlink has no referent: "${srcRoot}${rel}"`;
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmt2 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** rsync's closing summary, plus the code 23 line when some files failed. */
export function summaryLines(sent: number, received: number, totalSize: number, failed: boolean): string[] {
  const lines = [
    '',
    `sent ${fmt(sent)} bytes  received ${fmt(received)} bytes  ${fmt2((sent + received) / 37)} bytes/sec`,
    `total size is ${fmt(totalSize)}  speedup is ${fmt2(totalSize / Math.max(1, sent + received))}`,
  ];
  if (failed) {
    lines.push('rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]');
  }
  return lines;
}

/** Produces the body of a file list: directories, files, deletions and (optionally) errors. */
class FileList {
  private dir = '';
  private left = 0;
  private n = 0;

  constructor(
    private readonly rand: Rand,
    private readonly srcRoot: string,
  ) {}

  next(): string {
    const rand = this.rand;
    if (this.left === 0) {
      this.dir = randomDir(rand);
      this.left = 1 + int(rand, 30);
      return this.dir;
    }
    this.left--;
    const name = `${this.dir}${randomFile(rand, this.n++)}`;
    return rand() < 0.01 ? `deleting ${name}` : name;
  }

  error(kind: number): string {
    return errorLine(kind, this.srcRoot, `${randomDir(this.rand)}${randomFile(this.rand, this.n++)}`);
  }
}

export interface GeneratedLog {
  path: string;
  lines: number;
  bytes: number;
  fileErrors: number;
  code: number;
}

const SRC_ROOT = '/srv/backup-src/';

/**
 * Writes a log of exactly `lines` lines to `path` (streamed, so any size fits), with
 * `errors` per-file error lines spread through the file list. Ends with code 23 when
 * errors > 0, else with a clean summary.
 */
export async function writeRsyncLog(path: string, lines: number, errors = 12, seed = 42): Promise<GeneratedLog> {
  const rand = prng(seed);
  const list = new FileList(rand, SRC_ROOT);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const summary = summaryLines(7_412_339_201, 1_873_224, 918_334_120_771, errors > 0);
  const head = ['sending incremental file list', 'created directory /mnt/backup/dst', './'];
  const bodyLines = lines - head.length - summary.length;
  if (bodyLines < errors) throw new Error(`writeRsyncLog: ${lines} lines is too few`);
  const every = Math.max(1, Math.floor(bodyLines / (errors + 1)));
  let bytes = 0;
  let batch: string[] = [...head];
  const flush = async (): Promise<void> => {
    const text = `${batch.join('\n')}\n`;
    batch = [];
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  let written = 0;
  for (let i = 1; i <= bodyLines; i++) {
    batch.push(written < errors && i % every === 0 ? list.error(written++) : list.next());
    if (batch.length >= 20_000) await flush();
  }
  batch.push(...summary);
  await flush();
  out.end();
  await once(out, 'finish');
  return { path, lines, bytes, fileErrors: errors, code: errors > 0 ? 23 : 0 };
}

/** A ~`bytes`-sized report split so each upload can get its own summary (its own sha256). */
export interface ReportTemplate {
  /** Everything up to the summary. */
  head: Buffer;
  /** The closing summary; `seq` changes the byte counts as a real run's would. */
  tail(seq: number): Buffer;
  code: number;
  fileErrors: number;
}

export function reportTemplate(bytes: number, seed: number, errors: number): ReportTemplate {
  const rand = prng(seed);
  const list = new FileList(rand, `/home/`);
  const lines = ['sending incremental file list', './'];
  let size = 0;
  let written = 0;
  while (size < bytes - 250) {
    const line = written < errors && rand() < 0.02 ? list.error(written++) : list.next();
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  while (written < errors) lines.push(list.error(written++));
  const head = Buffer.from(`${lines.join('\n')}\n`);
  const failed = errors > 0;
  return {
    head,
    tail: (seq) => Buffer.from(`${summaryLines(48_000_000 + seq, 21_000 + (seq % 997), 91_000_000_000 + seq * 17, failed).join('\n')}\n`),
    code: failed ? 23 : 0,
    fileErrors: errors,
  };
}

// ---------------------------------------------------------------- the other tools

/**
 * Streams `lines` lines to `path`: `head`, then `body(i)` for the middle (with `errors`
 * error lines from `error(k)` spread through it), then `tail`.
 */
async function writeToolLog(
  path: string,
  lines: number,
  head: string[],
  body: (i: number) => string,
  errors: number,
  error: (k: number) => string[],
  tail: string[],
): Promise<{ bytes: number }> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const errorLines = error(0).length;
  const bodyLines = lines - head.length - tail.length - errors * errorLines;
  if (bodyLines < errors) throw new Error(`writeToolLog: ${lines} lines is too few`);
  const every = Math.max(1, Math.floor(bodyLines / (errors + 1)));
  let bytes = 0;
  let batch: string[] = [...head];
  const flush = async (): Promise<void> => {
    const text = `${batch.join('\n')}\n`;
    batch = [];
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  let written = 0;
  for (let i = 1; i <= bodyLines; i++) {
    batch.push(body(i));
    if (written < errors && i % every === 0) batch.push(...error(written++));
    if (batch.length >= 20_000) await flush();
  }
  batch.push(...tail);
  await flush();
  out.end();
  await once(out, 'finish');
  return { bytes };
}

/**
 * A TSM scheduler log (dsmsched.log) of one nightly session, in the shapes of
 * test/fixtures/tsm: "Normal File-->" lines, ANS4007E skipped files, the SCHEDULEREC STATUS
 * block and "ANS1512E ... Return code = 4."
 */
export async function writeTsmLog(path: string, lines: number, errors = 12, seed = 42): Promise<GeneratedLog> {
  const rand = prng(seed);
  const list = new FileList(rand, '/srv/');
  const d = '11/23/2026 02:';
  const at = (i: number): string => `${d}${pad(Math.floor(i / 60_000) % 60, 2)}:${pad(Math.floor(i / 1000) % 60, 2)}`;
  const head = [
    `${d}00:05 Executing scheduled command now.`,
    `${d}00:05 --- SCHEDULEREC OBJECT BEGIN DAILY_INCR 11/23/2026 02:00:00`,
    `${d}00:05 Incremental backup of volume '/srv'`,
  ];
  const tail = [
    `${d}59:59 Successful incremental backup of '/srv'`,
    `${d}59:59 --- SCHEDULEREC STATUS BEGIN`,
    `${d}59:59 Total number of objects inspected:    ${fmt(lines)}`,
    `${d}59:59 Total number of objects backed up:    ${fmt(lines - 20)}`,
    `${d}59:59 Total number of objects failed:       ${errors}`,
    `${d}59:59 Total number of bytes inspected:      1.21 TB`,
    `${d}59:59 Total number of bytes transferred:    2.31 GB`,
    `${d}59:59 Elapsed processing time:              00:59:54`,
    `${d}59:59 --- SCHEDULEREC STATUS END`,
    `${d}59:59 --- SCHEDULEREC OBJECT END DAILY_INCR 11/23/2026 02:00:00`,
    `${d}59:59 ANS1512E Scheduled event 'DAILY_INCR' failed.  Return code = 4.`,
  ];
  const body = (i: number): string => {
    const name = list.next();
    return name.endsWith('/')
      ? `${at(i)} Directory-->                4,096 /srv/${name.slice(0, -1)} [Sent]`
      : `${at(i)} Normal File-->       ${fmt(1 + int(rand, 9_000_000)).padStart(12)} /srv/${name.replace(/^deleting /, '')} [Sent]`;
  };
  const error = (k: number): string[] => [`${d}30:00 ANS4007E Error processing '/srv/locked/file-${k}.db': access to the object is denied`];
  const { bytes } = await writeToolLog(path, lines, head, body, errors, error, tail);
  return { path, lines, bytes, fileErrors: errors, code: errors > 0 ? 4 : 0 };
}

/** A `restic backup -v` text log: one "new/unchanged/modified" line per file, error lines, the summary. */
export async function writeResticLog(path: string, lines: number, errors = 12, seed = 42): Promise<GeneratedLog> {
  const rand = prng(seed);
  const list = new FileList(rand, '/srv/');
  const head = ['open repository', 'repository 3c1d4e2a opened (version 2, compression level auto)', 'using parent snapshot 19fc8520', 'load index files', 'start scan on [/srv]', 'start backup on [/srv]'];
  const tail = [
    '',
    `Files:       ${fmt(lines)} new,   120 changed, 0 unmodified`,
    'Dirs:         4,210 new,    12 changed, 0 unmodified',
    'Added to the repository: 2.311 GiB (1.902 GiB stored)',
    '',
    `processed ${lines} files, 1.211 TiB in 1:02:03`,
    'snapshot 5b8c8df8 saved',
    ...(errors > 0 ? ['Warning: at least one source file could not be read'] : []),
  ];
  const body = (): string => {
    const name = list.next().replace(/^deleting /, '');
    const r = rand();
    if (r < 0.8) return `unchanged /srv/${name}`;
    return `${r < 0.95 ? 'new      ' : 'modified '} /srv/${name}, saved in 0.00${int(rand, 9)}s (${int(rand, 900)} B added)`;
  };
  const error = (k: number): string[] => [`error: open /srv/locked/file-${k}.db: permission denied`];
  const { bytes } = await writeToolLog(path, lines, head, body, errors, error, tail);
  return { path, lines, bytes, fileErrors: errors, code: errors > 0 ? 3 : 0 };
}

/** A `borg create --list --stats --show-rc` log: one "A/M/U path" line per file, warnings, stats, rc line. */
export async function writeBorgLog(path: string, lines: number, errors = 12, seed = 42): Promise<GeneratedLog> {
  const rand = prng(seed);
  const list = new FileList(rand, 'srv/');
  const dashes = '-'.repeat(78);
  const head = ['Creating archive at "/backup/borg::fs01-2026-11-23T02:00:00"'];
  const tail = [
    dashes,
    'Repository: /backup/borg',
    'Archive name: fs01-2026-11-23T02:00:00',
    `Archive fingerprint: ${'ab12'.repeat(16)}`,
    'Time (start): Mon, 2026-11-23 02:00:01',
    'Time (end):   Mon, 2026-11-23 02:59:54',
    'Duration: 59 minutes 53.12 seconds',
    `Number of files: ${lines}`,
    'Utilization of max. archive size: 0%',
    dashes,
    '                       Original size      Compressed size    Deduplicated size',
    'This archive:                1.21 TB            903.12 GB              2.31 GB',
    'All archives:               41.02 TB             30.11 TB              1.40 TB',
    '',
    '                       Unique chunks         Total chunks',
    'Chunk index:                 9012345             81234567',
    dashes,
    `terminating with ${errors > 0 ? 'warning status, rc 1' : 'success status, rc 0'}`,
  ];
  const body = (): string => {
    const name = list.next().replace(/^deleting /, '');
    if (name.endsWith('/')) return `d srv/${name.slice(0, -1)}`;
    const r = rand();
    return `${r < 0.85 ? 'U' : r < 0.95 ? 'A' : 'M'} srv/${name}`;
  };
  const error = (k: number): string[] => [`srv/locked/file-${k}.db: open: [Errno 13] Permission denied: 'file-${k}.db'`, `E srv/locked/file-${k}.db`];
  const { bytes } = await writeToolLog(path, lines, head, body, errors, error, tail);
  return { path, lines, bytes, fileErrors: errors, code: errors > 0 ? 1 : 0 };
}
