import { AppError } from '../errors.ts';
import { checkPattern, compileExceptions } from '../exceptions/match.ts';
import { codeLabel, isFormat, FORMATS } from '../parsers/index.ts';
import { checkCanary } from '../fleet/canary.ts';
import { classify } from '../reports/classify.ts';
import { canaryWatch, judgeWithoutHistory, withSuspicion } from '../reports/suspicion-run.ts';
import { createSafeParser } from '../reports/parse-safely.ts';
import type { CliContext } from './context.ts';
import { json } from './format.ts';
import { readInput } from './read-input.ts';

export interface ParseFlags {
  format: string;
  exception: string[];
  exitCode?: string;
  canary?: string;
  json?: boolean;
}

/** backupbot parse FILE|- : the verdict for one log, without touching the database. */
export async function parseCommand(ctx: CliContext, file: string, flags: ParseFlags): Promise<void> {
  if (!isFormat(flags.format)) throw new AppError('usage', `--format must be one of ${FORMATS.join(', ')}; got "${flags.format}".`);
  for (const p of flags.exception) {
    const problem = checkPattern(p);
    if (problem) throw new AppError('usage', problem);
  }
  let exitCode: number | null = null;
  if (flags.exitCode !== undefined) {
    if (!/^\d{1,3}$/.test(flags.exitCode) || Number(flags.exitCode) > 255) {
      throw new AppError('usage', `--exit-code must be a whole number from 0 to 255; got "${flags.exitCode}".`);
    }
    exitCode = Number(flags.exitCode);
  }
  const canary = flags.canary !== undefined ? checkCanary(flags.canary) : null;
  const parser = createSafeParser(flags.format, { isExcepted: compileExceptions(flags.exception), ...canaryWatch({ canaryPath: canary }) });
  try {
    for await (const chunk of readInput(file, ctx.io.stdin)) parser.push(chunk);
  } catch (err) {
    throw new AppError('unreadable', `Cannot read ${file === '-' ? 'standard input' : file}: ${(err as Error).message}`);
  }
  const parsed = parser.end();
  // No history here: only the dry-run and canary rules can apply.
  const verdict = withSuspicion(classify(parsed, exitCode), judgeWithoutHistory({ parsed, startedAt: null, finishedAt: null }, canary));
  if (flags.json) {
    ctx.io.out(
      json({
        format: parsed.format,
        parserVersion: parsed.parserVersion,
        code: verdict.code,
        status: verdict.status,
        meaning: verdict.meaning,
        hint: verdict.hint,
        reason: verdict.reason,
        completed: parsed.completed,
        okByExceptions: verdict.okByExceptions,
        suspicion: verdict.suspicion ?? [],
        fileErrors: parsed.fileErrors.map(({ path, kind, message, excepted, line }) => ({ path, kind, message, excepted, line })),
        counts: { fileErrors: parsed.fileErrorCount, excepted: parsed.exceptedCount, vanished: parsed.vanishedCount, lines: parsed.lines, bytes: parsed.bytes },
        messages: parsed.messages,
        finalLines: parsed.finalLines.map((l) => l.text),
        stats: parsed.stats,
      }),
    );
    return;
  }
  const lines = [`${verdict.status.toUpperCase()}  ${codeLabel(parsed.format, verdict.code)}: ${verdict.meaning}`];
  if (verdict.reason) lines.push(`why:  ${verdict.reason}`);
  for (const s of verdict.suspicion ?? []) lines.push(`suspect (${s.rule}): ${s.message}`);
  if (verdict.status !== 'ok') lines.push(`do:   ${verdict.hint}`);
  if (parsed.fileErrorCount > 0) {
    lines.push(`file errors: ${parsed.fileErrorCount} (${parsed.exceptedCount} excepted, ${parsed.vanishedCount} vanished)`);
    for (const e of parsed.fileErrors.slice(0, 50)) {
      lines.push(`  ${e.excepted ? 'excepted ' : ''}${e.kind.padEnd(10)} ${JSON.stringify(e.path)}  (line ${e.line})`);
    }
    if (parsed.fileErrorCount > 50) lines.push(`  ... and ${parsed.fileErrorCount - 50} more (use --json)`);
  }
  for (const m of parsed.messages.slice(0, 10)) lines.push(`note: ${m}`);
  ctx.io.out(lines.join('\n') + '\n');
}
