import { Command, CommanderError, Option } from 'commander';
import { loadConfig, ConfigError, type Config } from '../config.ts';
import type { Database, Db } from '../db/client.ts';
import { AppError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { startService } from '../main.ts';
import { FORMATS } from '../parsers/index.ts';
import { PermanentSlackError } from '../slack/publish.ts';
import { ForwardToServer, localDbOpener, type CliContext, type CliIo } from './context.ts';
import { customerAdd, serverAdd, serverList, serverRotateToken } from './fleet.ts';
import { parseCommand } from './parse.ts';
import { sendToCliSocket, type CliReply } from './socket.ts';
import { exceptionAdd, exceptionList, exceptionRemove } from './exceptions.ts';
import { reparseCommand } from './reparse.ts';
import { runCommand } from './run.ts';
import { statusCommand } from './status.ts';

export interface MainOptions {
  io?: CliIo;
  env?: Record<string, string | undefined>;
  /** Set when the running server executes a forwarded command on its own database. */
  database?: Database;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function buildProgram(ctx: CliContext, serve: () => Promise<void>): Command {
  const program = new Command('backupbot')
    .description('Tells your support team which customer backups really completed.')
    .showHelpAfterError('(run "backupbot --help" for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });

  program.command('serve').description('run the upload API, the Slack app and the scheduler').action(serve);

  program
    .command('migrate')
    .description('apply database migrations (also done on every start)')
    .action(() => ctx.withDb(async () => ctx.io.out('Database schema is up to date.\n')));

  const customer = program.command('customer').description('manage customers');
  customer
    .command('add')
    .argument('<name>', 'customer name')
    .option('--json', 'print JSON')
    .action((name: string, flags) => customerAdd(ctx, name, flags));

  const server = program.command('server').description('manage backed-up servers');
  server
    .command('add')
    .argument('<customer>', 'customer the server belongs to')
    .argument('<server>', 'server name (unique)')
    .option('--target <host>', 'backup target host the server sends its data to')
    .option('--schedule <cron>', 'when the backup is expected to run (cron, default "0 22 * * *")')
    .option('--timezone <tz>', 'time zone of the schedule (default UTC)')
    .option('--grace <minutes>', 'how late a report may arrive before the server counts as missing')
    .option('--json', 'print JSON (with the token)')
    .action((cust: string, name: string, flags) => serverAdd(ctx, cust, name, flags));
  server
    .command('list')
    .option('--json', 'print JSON')
    .action((flags) => serverList(ctx, flags));
  server
    .command('rotate-token')
    .argument('<server>', 'server name')
    .option('--json', 'print JSON (with the token)')
    .action((name: string, flags) => serverRotateToken(ctx, name, flags));

  program
    .command('parse')
    .description('parse one backup log and print the verdict (no database needed)')
    .argument('<file>', 'log file, or - for standard input')
    .addOption(new Option('--format <format>', 'log format').choices([...FORMATS]).default('auto'))
    .option('--exception <glob>', 'treat matching file errors as excepted (repeatable)', collect, [])
    .option('--exit-code <n>', 'the exit code the backup script saw')
    .option('--json', 'print JSON')
    .action((file: string, flags) => parseCommand(ctx, file, flags));

  program
    .command('status')
    .description('latest verdict of every server, or of one')
    .argument('[server]', 'server name')
    .option('--json', 'print JSON')
    .action((name: string | undefined, flags) => statusCommand(ctx, name, flags));

  const exception = program.command('exception').description('manage exceptions (admins: active at once, audited)');
  exception
    .command('add')
    .argument('<glob>', 'pattern: "*.pst" matches names anywhere, "/share/*/x.qbw" whole paths; case-insensitive')
    .addOption(new Option('--scope <scope>', 'where it applies').choices(['server', 'customer', 'global']).default('server'))
    .option('--server <name>', 'the server (with --scope server)')
    .option('--customer <name>', 'the customer (with --scope customer)')
    .option('--reason <text>', 'why these files may fail (required)')
    .option('--expires <date>', 'stop applying after this date (YYYY-MM-DD)')
    .option('--json', 'print JSON')
    .action((glob: string, flags) => exceptionAdd(ctx, glob, flags));
  exception
    .command('list')
    .option('--server <name>', 'only those that apply to this server')
    .option('--json', 'print JSON')
    .action((flags) => exceptionList(ctx, flags));
  exception
    .command('remove')
    .argument('<id>', 'exception id (see exception list)')
    .action((id: string) => exceptionRemove(ctx, id));

  program
    .command('reparse')
    .description('run the current parser over stored reports (new results; old ones kept)')
    .option('--server <name>', 'only this server')
    .option('--since <date>', 'only reports received since (YYYY-MM-DD)')
    .option('--all', 'every stored report')
    .option('--json', 'print JSON')
    .action((flags) => reparseCommand(ctx, flags));

  program
    .command('run')
    .description('build and post a scheduled report now')
    .argument('<job>', 'nightly or digest')
    .action((job: string) => runCommand(ctx, job));

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
  const getConfig = () => (config ??= loadConfig(opts.env ?? process.env));
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
    const log = createLogger(cfg.LOG_LEVEL);
    const service = await startService(cfg, log, { cliRunner: (database) => (args) => runCaptured(args, database, opts.env) });
    await new Promise<void>((resolve) => {
      const onSignal = (signal: string) => {
        log.info({ signal }, 'stopping');
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        void service.stop().then(resolve);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  };
  try {
    await buildProgram(ctx, serve).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof ForwardToServer) {
      const reply = await sendToCliSocket(err.socket, argv).catch((e: Error) => ({
        exitCode: 2,
        stdout: '',
        stderr: `backupbot: the embedded database is held by "backupbot serve", which did not answer (${e.message}); stop serve or set DATABASE_URL.\n`,
      }));
      io.out(reply.stdout);
      io.err(reply.stderr);
      return reply.exitCode;
    }
    return report(err, io);
  }
}

function report(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Help and version are successes; everything else commander rejects is bad usage
    // (commander already printed its one-line message).
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof PermanentSlackError) {
    io.err(`backupbot: ${err.message}\n`);
    return 1;
  }
  if (err instanceof AppError || err instanceof ConfigError) {
    io.err(`backupbot: ${err.message}\n`);
    return err instanceof AppError && err.code === 'database_busy' ? 1 : 2;
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
