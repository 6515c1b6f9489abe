import { createRsyncParser } from './rsync.ts';
import type { ParseOptions, StreamParser } from './types.ts';

/** Formats backupbot can parse. "auto" picks by content once there is more than one. */
export const FORMATS = ['auto', 'rsync'] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}

export function createParser(format: Format, options?: ParseOptions): StreamParser {
  switch (format) {
    case 'auto':
    case 'rsync':
      return createRsyncParser(options);
  }
}
