import { createParser, parserVersionOf, type Format } from '../parsers/index.ts';
import { unprovenReport, type ParseOptions, type ParsedReport, type StreamParser } from '../parsers/types.ts';

/**
 * Wraps a parser so that a bug in it can never lose an upload: the first exception is
 * remembered, the rest of the bytes are ignored, and the verdict becomes -2 with a
 * reason that says the raw report is kept for a reparse.
 */
export function createSafeParser(format: Format, options?: ParseOptions): StreamParser {
  let failure: Error | null = null;
  let bytes = 0;
  let inner: StreamParser | null = null;
  try {
    inner = createParser(format, options);
  } catch (err) {
    failure = err as Error;
  }
  return {
    push(chunk) {
      bytes += chunk.length;
      if (failure || !inner) return;
      try {
        inner.push(chunk);
      } catch (err) {
        failure = err as Error;
      }
    },
    end() {
      if (!failure && inner) {
        try {
          return inner.end();
        } catch (err) {
          failure = err as Error;
        }
      }
      return failedParse(format, bytes, failure!);
    },
  };
}

function failedParse(format: Format, bytes: number, err: Error): ParsedReport {
  return unprovenReport({
    format: format === 'auto' ? 'unknown' : format,
    parserVersion: parserVersionOf(format),
    reason: `The parser failed on this report (${err.message}). The upload is stored unchanged; reparse it once the parser is fixed.`,
    hint: 'This is a fault in backupbot, not in the backup: report it to the backupbot maintainers, then reparse the report once it is fixed.',
    lines: 0,
    bytes,
  });
}
