import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { Config } from '../config.ts';
import type { Database, Db } from '../db/client.ts';
import { AppError, ConfigError } from '../errors.ts';
import { FORMATS } from '../parsers/index.ts';
import { ForwardToServer, localDbOpener, type CliContext, type CliIo } from './context.ts';
import type { CliReply } from './socket.ts';

// Each command's module is imported when that command runs, not before: `--help` and `parse`
// then start without loading Slack, the database drivers or drizzle (seconds of start-up
// through tsx, a few hundred milliseconds compiled).
const fleet = () => import('./fleet.ts');
const exceptions = () => import('./exceptions.ts');
const status = () => import('./status.ts');

/** The version in package.json, read once. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export interface MainOptions {
  io?: CliIo;
  env?: Record<string, string | undefined>;
  /** Set when the running server executes a forwarded command on its own database. */
  database?: Database;
}

const STOP_DEADLINE_MS = 8000;

const collect = (value: string, previous: string[]) => [...previous, value];

function addParseCommand(program: Command, ctx: CliContext): void {
  program
    .command('parse')
    .description('parse one backup log and print the verdict (no database needed)')
    .argument('<file>', 'log file, or - for standard input')
    .addOption(new Option('--format <format>', 'log format').choices([...FORMATS]).default('auto'))
    .option('--exception <glob>', 'treat matching file errors as excepted (repeatable)', collect, [])
    .option('--exit-code <n>', 'the exit code the backup script saw')
    .option('--canary <path>', 'the run is suspect unless the log shows this file copied')
    .option('--json', 'print JSON')
    .action(async (file: string, flags) => (await import('./parse.ts')).parseCommand(ctx, file, flags));
}

/**
 * The whole command tree, or, for `backupbot parse ...`, the program with only that command:
 * its usage, help and errors are the same, and a big log's parse does not wait for fifty
 * other commands to be built (a few milliseconds of a run that is measured against grep).
 */
function buildProgram(ctx: CliContext, serve: () => Promise<void>, only?: 'parse'): Command {
  const program = new Command('backupbot')
    .description('Tells your support team which customer backups really completed.')
    .showHelpAfterError('(run "backupbot --help" for usage)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  if (only === 'parse') {
    addParseCommand(program, ctx);
    return program;
  }

  program.command('serve').description('run the upload API, the Slack app and the scheduler').action(serve);

  program
    .command('migrate')
    .description('apply database migrations (serve does this too; other commands never change the schema)')
    .action(() => ctx.withDb(async () => ctx.io.out('Database schema is up to date.\n'), { migrate: true }));

  const customer = program.command('customer').description('manage customers');
  customer
    .command('add')
    .description('add a customer')
    .argument('<name>', 'customer name')
    .option('--json', 'print JSON')
    .action(async (name: string, flags) => (await fleet()).customerAdd(ctx, name, flags));
  customer
    .command('list')
    .description('list customers with how many servers each has')
    .option('--json', 'print JSON')
    .action(async (flags) => (await fleet()).customerList(ctx, flags));
  customer
    .command('rename')
    .description('rename a customer (its servers and history stay)')
    .argument('<name>', 'current name')
    .argument('<new>', 'new name')
    .option('--json', 'print JSON')
    .action(async (name: string, next: string, flags) => (await fleet()).customerRename(ctx, name, next, flags));

  const server = program.command('server').description('manage backed-up servers (names: SERVER, or CUSTOMER/SERVER when two customers share a name)');
  server
    .command('add')
    .description('add a server and print its upload token (shown once)')
    .argument('<customer>', 'customer the server belongs to')
    .argument('<server>', 'server name (unique within the customer)')
    .option('--target <host>', 'backup target host the server sends its data to')
    .option('--schedule <cron>', 'when the backup is expected to run (cron, default "0 22 * * *")')
    .option('--timezone <tz>', 'time zone of the schedule (default UTC)')
    .option('--grace <minutes>', 'how late a report may arrive before the server counts as missing (default 240)')
    .option('--format <format>', `log format of its uploads when they do not say (${FORMATS.join(', ')})`)
    .option('--canary <path>', 'a file the backup script rewrites before each run; a run whose log does not show it copied is suspect')
    .option('--drop-percent <n>', 'a fall of n % in files or size vs the baseline is suspect (default SUSPECT_DROP_PERCENT)')
    .option('--short-percent <n>', 'a run under n % of the usual duration is suspect (default SUSPECT_SHORT_PERCENT)')
    .option('--json', 'print JSON (with the token)')
    .action(async (cust: string, name: string, flags) => (await fleet()).serverAdd(ctx, cust, name, flags));
  server
    .command('list')
    .description('list servers with their schedule and target')
    .option('--all', 'include removed servers')
    .option('--json', 'print JSON')
    .action(async (flags) => (await fleet()).serverList(ctx, flags));
  server
    .command('set')
    .description("change a server's schedule, time zone, grace, target, customer or format")
    .argument('<server>', 'server name')
    .option('--schedule <cron>', 'when the backup is expected to run (cron)')
    .option('--timezone <tz>', 'time zone of the schedule (IANA name)')
    .option('--grace <minutes>', 'how late a report may arrive before the server counts as missing')
    .option('--target <host>', 'backup target host ("" to clear)')
    .option('--customer <name>', 'move the server to another customer')
    .option('--format <format>', `log format of its uploads when they do not say (${FORMATS.join(', ')})`)
    .option('--canary <path>', 'a file the backup script rewrites before each run; a run whose log does not show it copied is suspect')
    .option('--no-canary', 'stop checking for a canary')
    .option('--drop-percent <n>', 'a fall of n % in files or size vs the baseline is suspect ("default": SUSPECT_DROP_PERCENT)')
    .option('--short-percent <n>', 'a run under n % of the usual duration is suspect ("default": SUSPECT_SHORT_PERCENT)')
    .option('--json', 'print JSON')
    .action(async (name: string, flags) => (await fleet()).serverSet(ctx, name, flags));
  server
    .command('rebaseline')
    .description('accept the latest run as the new normal: drops and short runs are measured from it on')
    .argument('<server>', 'server name')
    .option('--reason <text>', 'why (required), e.g. "old archives deleted on 3 May"')
    .option('--json', 'print JSON')
    .action(async (name: string, flags) => (await fleet()).serverRebaseline(ctx, name, flags));
  server
    .command('rename')
    .description('rename a server (history, token and exceptions stay)')
    .argument('<server>', 'current name')
    .argument('<new>', 'new name')
    .option('--json', 'print JSON')
    .action(async (name: string, next: string, flags) => (await fleet()).serverRename(ctx, name, next, flags));
  server
    .command('pause')
    .description('stop expecting backups for a while: listed as paused, never missing, never escalated')
    .argument('<server>', 'server name')
    .option('--reason <text>', 'why (required), e.g. "replaced in December"')
    .option('--until <date>', 'resume by itself at this date (YYYY-MM-DD); default: until `server resume`')
    .option('--json', 'print JSON')
    .action(async (name: string, flags) => (await fleet()).serverPause(ctx, name, flags));
  server
    .command('resume')
    .description('expect backups again from the next scheduled slot')
    .argument('<server>', 'server name')
    .option('--json', 'print JSON')
    .action(async (name: string, flags) => (await fleet()).serverResume(ctx, name, flags));
  server
    .command('remove')
    .description('take a server out of service: token revoked, no longer expected, history kept')
    .argument('<server>', 'server name')
    .option('--json', 'print JSON')
    .action(async (name: string, flags) => (await fleet()).serverRemove(ctx, name, flags));
  server
    .command('rotate-token')
    .description('issue a new upload token (the old one stops working at once)')
    .argument('<server>', 'server name')
    .option('--json', 'print JSON (with the token)')
    .action(async (name: string, flags) => (await fleet()).serverRotateToken(ctx, name, flags));

  addParseCommand(program, ctx);

  program
    .command('status')
    .description('state of every server (worst first), or one server in detail')
    .argument('[server]', 'server name (a prefix or small typo is fine; CUSTOMER/SERVER when ambiguous)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, flags) => (await status()).statusCommand(ctx, name, flags));

  program
    .command('history')
    .description("one line per day with that day's results")
    .argument('<server>', 'server name')
    .argument('[days]', 'how many days back (default 14)')
    .option('--json', 'print JSON')
    .action(async (name: string, days: string | undefined, flags) => (await status()).historyCommand(ctx, name, days, flags));

  program
    .command('web-link')
    .description('print a signed link that opens the web reports (PUBLIC_URL/login?token=...)')
    .option('--hours <n>', 'how long the link works (default 24, at most 720)')
    .option('--json', 'print JSON ({"url","expiresAt"})')
    .action(async (flags) => (await import('./web-link.ts')).webLinkCommand(ctx, flags));

  const exception = program.command('exception').description('manage exceptions (admins: active at once, audited)');
  exception
    .command('add')
    .description('add an active exception (shows which recent file errors it matches)')
    .argument('<glob>', 'pattern: "*.pst" matches names anywhere, "/share/*/x.qbw" whole paths; case-insensitive')
    .addOption(new Option('--scope <scope>', 'where it applies').choices(['server', 'customer', 'global']).default('server'))
    .option('--server <name>', 'the server (with --scope server)')
    .option('--customer <name>', 'the customer (with --scope customer)')
    .option('--reason <text>', 'why these files may fail (required)')
    .option('--expires <date>', 'stop applying after this date (YYYY-MM-DD)')
    .option('--json', 'print JSON')
    .action(async (glob: string, flags) => (await exceptions()).exceptionAdd(ctx, glob, flags));
  exception
    .command('list')
    .description('list active and pending exceptions')
    .option('--server <name>', 'only those that apply to this server')
    .option('--json', 'print JSON')
    .action(async (flags) => (await exceptions()).exceptionList(ctx, flags));
  exception
    .command('remove')
    .description('stop applying an exception to new reports')
    .argument('<id>', 'exception id (see exception list)')
    .action(async (id: string) => (await exceptions()).exceptionRemove(ctx, id));

  program
    .command('reparse')
    .description('run the current parser over stored reports (new results; old ones kept)')
    .option('--server <name>', 'only this server')
    .option('--since <date>', 'only reports received since (YYYY-MM-DD)')
    .option('--all', 'every stored report')
    .option('--json', 'print JSON')
    .action(async (flags) => (await import('./reparse.ts')).reparseCommand(ctx, flags));

  program
    .command('prune')
    .description('delete raw logs and posted-message records older than RETENTION_DAYS (verdicts are kept)')
    .option('--dry-run', 'only say what would be deleted')
    .option('--days <n>', 'how old is too old, in days (default: RETENTION_DAYS)')
    .option('--json', 'print JSON')
    .action(async (flags) => (await import('./prune.ts')).pruneCommand(ctx, flags));

  program
    .command('doctor')
    .description('check that each server\'s current state (what status and the summaries read) matches its history')
    .option('--fix', 'rebuild the current state from the history where it differs')
    .option('--json', 'print JSON')
    .action(async (flags) => (await import('./doctor.ts')).doctorCommand(ctx, flags));

  program
    .command('run')
    .description('build and post a scheduled report now')
    .argument('<job>', 'nightly or digest')
    .action(async (job: string) => (await import('./run.ts')).runCommand(ctx, job));

  return program;
}

const defaultIo = (): CliIo => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  stdin: process.stdin,
  tty: process.stderr.isTTY === true,
});

/** Runs one CLI invocation and returns its exit status (0 done, 2 bad usage or input). */
export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  const io = opts.io ?? defaultIo();
  let config: Config | undefined;
  // Set by the preAction hook below before any command that reads settings runs.
  let loadConfig: ((env: Record<string, string | undefined>) => Config) | undefined;
  const getConfig = () => {
    if (!loadConfig) throw new Error('the settings were read before the config module was loaded');
    return (config ??= loadConfig(opts.env ?? process.env));
  };
  const shared = opts.database;
  const ctx: CliContext = {
    io,
    config: getConfig,
    withDb: shared
      ? <T>(fn: (db: Db, database: Database) => Promise<T>) => fn(shared.db, shared)
      : localDbOpener(getConfig),
  };
  const serve = async () => {
    if (shared) throw new AppError('usage', 'backupbot is already serving this database.');
    const cfg = getConfig();
    const [{ createLogger }, { surviveDriverWriteRace }, { startService }] = await Promise.all([import('../log.ts'), import('../db/driver-quirks.ts'), import('../main.ts')]);
    const log = createLogger(cfg.LOG_LEVEL);
    surviveDriverWriteRace(log);
    const service = await startService(cfg, log, { cliRunner: (database) => (args) => runCaptured(args, database, opts.env) });
    await new Promise<void>((resolve) => {
      const onSignal = (signal: string) => {
        log.info({ signal }, 'stopping');
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        // A service manager waits about 10 s before SIGKILL: whatever still hangs (a database
        // that does not answer) is abandoned before that, so stopping stays orderly.
        const deadline = setTimeout(() => {
          log.error('could not stop cleanly within 8 s; exiting anyway');
          process.exit(1);
        }, STOP_DEADLINE_MS);
        deadline.unref();
        void service.stop().then(() => {
          // Everything is closed; a driver timer or a socket abandoned to a hung database
          // must not keep the process alive until the deadline.
          setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
          resolve();
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  };
  try {
    const program = buildProgram(ctx, serve, argv[0] === 'parse' ? 'parse' : undefined);
    // zod alone takes tens of milliseconds to load; `parse` and `--help` never read settings.
    program.hook('preAction', async (_program, command) => {
      if (command.name() !== 'parse') loadConfig ??= (await import('../config.ts')).loadConfig;
    });
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof ForwardToServer) {
      const { sendToCliSocket } = await import('./socket.ts');
      const reply = await sendToCliSocket(err.socket, argv).catch((e: Error) => ({
        exitCode: 2,
        stdout: '',
        stderr: `backupbot: the embedded database is held by "backupbot serve", which did not answer (${e.message}); stop serve or set DATABASE_URL.\n`,
      }));
      io.out(reply.stdout);
      io.err(reply.stderr);
      return reply.exitCode;
    }
    return await report(err, io);
  }
}

async function report(err: unknown, io: CliIo): Promise<number> {
  if (err instanceof CommanderError) {
    // Help and version are successes; everything else commander rejects is bad usage
    // (commander already printed its one-line message).
    return err.exitCode === 0 ? 0 : 2;
  }
  // Loaded only now: `parse` starts without Slack's and the database's modules (or node:http).
  const [{ PermanentSlackError }, { describeDbError, isUnavailable }] = await Promise.all([import('../slack/publish.ts'), import('../db/health.ts')]);
  if (err instanceof PermanentSlackError) {
    io.err(`backupbot: ${err.message}\n`);
    return 1;
  }
  if (err instanceof AppError || err instanceof ConfigError) {
    io.err(`backupbot: ${err.message}\n`);
    return err instanceof AppError && (err.code === 'database_busy' || err.code === 'check_failed') ? 1 : 2;
  }
  if (isUnavailable(err)) {
    // The database went away while a command ran: one line, no stack.
    io.err(`backupbot: the database stopped answering (${describeDbError(err)}); check DATABASE_URL and that Postgres runs, then try again.\n`);
    return 1;
  }
  io.err(`backupbot: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}

/** Runs a command forwarded over the CLI socket, capturing its output. */
async function runCaptured(argv: string[], database: Database, env?: Record<string, string | undefined>): Promise<CliReply> {
  let stdout = '';
  let stderr = '';
  const { Readable } = await import('node:stream');
  const exitCode = await main(argv, {
    database,
    ...(env ? { env } : {}),
    io: { out: (s) => (stdout += s), err: (s) => (stderr += s), stdin: Readable.from([]) },
  });
  return { exitCode, stdout, stderr };
}
