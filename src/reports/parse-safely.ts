import { createParser, type Format } from '../parsers/index.ts';
import { RSYNC_PARSER_VERSION } from '../parsers/rsync.ts';
import { INCOMPLETE, type ParseOptions, type ParsedReport, type StreamParser } from '../parsers/types.ts';

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
  return {
    format: format === 'auto' ? 'rsync' : format,
    parserVersion: RSYNC_PARSER_VERSION,
    code: INCOMPLETE,
    completed: false,
    reason: `The parser failed on this report (${err.message}). The upload is stored unchanged; reparse it once the parser is fixed.`,
    finalLines: [],
    fileErrors: [],
    fileErrorCount: 0,
    exceptedCount: 0,
    vanishedCount: 0,
    messages: [],
    stats: {},
    lines: 0,
    bytes,
  };
}
