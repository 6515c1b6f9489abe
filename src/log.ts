import pino, { type Logger } from 'pino';

/** JSON logs on stderr (stdout belongs to CLI output). Credentials are never written. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      redact: { paths: ['token', '*.token', 'headers.authorization', 'req.headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}
