import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.ts';

export interface RateLimits {
  /** Longest pause between two pieces of the body. */
  stallMs: number;
  /** Slowest accepted average rate once `stallMs` has passed (0: no minimum). */
  minBytesPerSecond: number;
}

/**
 * The request body, piece by piece, cut off with a 408 when the client stops sending or
 * trickles slower than the minimum rate. Without it a client holds its connection (and a
 * file descriptor, and a "receiving" report) for as long as it likes.
 *
 * On a cut-off the request is left alone, not destroyed: destroying an unfinished request
 * closes its socket, and the client would get no answer. The caller answers and then closes.
 */
export async function* limitBodyRate(req: IncomingMessage, limits: RateLimits): AsyncGenerator<Uint8Array> {
  const started = Date.now();
  let bytes = 0;
  const it = req[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError('timeout', `The upload sent nothing for ${Math.round(limits.stallMs / 1000)} s (UPLOAD_STALL_SECONDS); nothing was stored. Send the report again.`)),
        limits.stallMs,
      );
    });
    let next: IteratorResult<Uint8Array>;
    try {
      next = await Promise.race([it.next(), stalled]);
    } finally {
      clearTimeout(timer);
    }
    if (next.done) return;
    bytes += next.value.length;
    const elapsed = Date.now() - started;
    if (limits.minBytesPerSecond > 0 && elapsed > limits.stallMs && (bytes * 1000) / elapsed < limits.minBytesPerSecond) {
      throw new AppError(
        'timeout',
        `The upload arrives at ${Math.round((bytes * 1000) / elapsed)} bytes/s, slower than UPLOAD_MIN_BYTES_PER_SECOND (${limits.minBytesPerSecond}); nothing was stored. Check the link, then send the report again.`,
      );
    }
    yield next.value;
  }
}
