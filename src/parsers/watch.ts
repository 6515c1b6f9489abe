/**
 * Looks for a few given paths ("canary" files) in a log, whatever the tool. The log is read
 * line by line (a path cut in two by a chunk boundary is still found); only lines that contain
 * the path's last component are looked at closely, so the cost is one native search per chunk.
 *
 * Tools list paths relative to what they were given (`rsync -av /srv DEST` prints
 * `srv/.backupbot-canary`, `rsync -av /srv/ DEST` prints `.backupbot-canary`) or absolute
 * (TSM, restic), so a watched path counts as named when a path in the line ends with it, or
 * is a tail of it, on a path-component boundary: `/srv/.backupbot-canary` is named by
 * `srv/.backupbot-canary` and by `C:\srv\.backupbot-canary`, not by `/srv/old.backupbot-canary`
 * nor by `/srv/.backupbot-canary.bak`. One that a file error names does not count as seen:
 * that is the tool saying it could not copy it.
 */
import type { ParsedReport, StreamParser } from './types.ts';

/** Longest line kept whole; a longer one keeps its end (where a listed path is). */
const MAX_LINE = 64 * 1024;

const normalise = (p: string) => p.replace(/\\+/g, '/').replace(/\/{2,}/g, '/');

/** The component tails of a path: "a/b/c" -> ["a/b/c", "b/c", "c"] (leading "/" and drive dropped). */
function tailsOf(path: string): string[] {
  const parts = normalise(path).replace(/^[A-Za-z]:/, '').split('/').filter((p) => p.length > 0);
  return parts.map((_, i) => parts.slice(i).join('/'));
}

// What may stand right before a listed path (the start of the token) and right after it.
const BEFORE = /[\s"'>=:([{]/;
const AFTER = /[\s"',;:)\]}]/;

/**
 * Whether `line` lists `watched`: some occurrence of one of its tails ends the token
 * (end of line, blank, quote...), and either starts the token (the tool listed a relative
 * path) or is the whole watched path preceded by a "/" (the tool listed a longer, absolute one).
 */
export function lineNamesPath(line: string, watched: string): boolean {
  const text = normalise(line);
  const tails = tailsOf(watched);
  if (tails.length === 0) return false;
  const ci = /^[A-Za-z]:|\\/.test(watched); // a Windows path: names are case-insensitive
  const hay = ci ? text.toLowerCase() : text;
  for (let i = 0; i < tails.length; i++) {
    const tail = ci ? tails[i]!.toLowerCase() : tails[i]!;
    for (let at = hay.indexOf(tail); at !== -1; at = hay.indexOf(tail, at + 1)) {
      const end = at + tail.length;
      if (end < hay.length && !AFTER.test(hay[end]!)) continue;
      const prev = at === 0 ? '' : hay[at - 1]!;
      if (prev === '' || BEFORE.test(prev)) return true;
      if (i === 0 && prev === '/') return true;
    }
  }
  return false;
}

export function withWatch(inner: StreamParser, watchPaths: readonly string[]): StreamParser {
  const wanted = watchPaths
    .filter((p) => tailsOf(p).length > 0)
    .map((p) => {
      const tails = tailsOf(p);
      return { path: p, key: Buffer.from(tails[tails.length - 1]!, 'utf8'), seen: false };
    });
  let partial = Buffer.alloc(0);

  const look = (line: Buffer) => {
    let text: string | null = null;
    for (const w of wanted) {
      if (w.seen || line.indexOf(w.key) === -1) continue;
      text ??= line.toString('utf8');
      if (lineNamesPath(text, w.path)) w.seen = true;
    }
  };

  return {
    push(chunk) {
      inner.push(chunk);
      if (wanted.length === 0 || chunk.length === 0) return;
      const buf = partial.length ? Buffer.concat([partial, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      let start = 0;
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
        look(buf.subarray(start, nl));
        start = nl + 1;
      }
      const rest = buf.subarray(start);
      partial = Buffer.from(rest.length > MAX_LINE ? rest.subarray(rest.length - MAX_LINE) : rest);
    },
    end(): ParsedReport {
      if (partial.length) look(partial);
      partial = Buffer.alloc(0);
      const report = inner.end();
      // A file error naming it means the tool failed on it, however often the log repeats
      // the name (TSM's ANS1228E + ANS4007E, borg's warning + "E" line).
      report.seenPaths = wanted.filter((w) => w.seen && !report.fileErrors.some((e) => lineNamesPath(`"${e.path}"`, w.path))).map((w) => w.path);
      return report;
    },
  };
}
