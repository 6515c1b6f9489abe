/** Parses the text after `/backup`. Pure: text in, a command or a usage error out. */

export type BackupCommand =
  | { kind: 'status'; target?: string }
  | { kind: 'history'; server: string; days: number }
  | { kind: 'failures' }
  | { kind: 'exceptions'; server?: string }
  | { kind: 'reparse'; server: string; since?: Date }
  | { kind: 'audit'; server?: string }
  | { kind: 'pause'; server: string; until: Date | null; reason: string }
  | { kind: 'resume'; server: string }
  | { kind: 'web' }
  | { kind: 'help'; error?: string };

export const MAX_HISTORY_DAYS = 365;
export const DEFAULT_HISTORY_DAYS = 14;

export function parseBackupCommand(text: string): BackupCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [verb, ...rest] = words;
  switch (verb?.toLowerCase()) {
    case undefined:
      return { kind: 'status' };
    case 'status':
      return rest.length ? { kind: 'status', target: rest.join(' ') } : { kind: 'status' };
    case 'failures':
    case 'failing':
      return { kind: 'failures' };
    case 'web':
      return { kind: 'web' };
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'exceptions':
      return rest.length ? { kind: 'exceptions', server: rest.join(' ') } : { kind: 'exceptions' };
    case 'audit':
      return rest.length ? { kind: 'audit', server: rest.join(' ') } : { kind: 'audit' };
    case 'reparse': {
      const at = rest.findIndex((w) => w.toLowerCase() === 'since');
      const name = (at === -1 ? rest : rest.slice(0, at)).join(' ');
      if (!name) return { kind: 'help', error: 'Say which server: `/backup reparse SERVER [since YYYY-MM-DD]`.' };
      if (at === -1) return { kind: 'reparse', server: name };
      const date = rest[at + 1] ?? '';
      const since = /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00Z`) : null;
      if (!since || Number.isNaN(since.getTime()) || rest.length > at + 2) {
        return { kind: 'help', error: `\`since\` takes a date like 2026-11-01; got "${rest.slice(at + 1).join(' ')}".` };
      }
      return { kind: 'reparse', server: name, since };
    }
    case 'pause': {
      // /backup pause SERVER [until YYYY-MM-DD] REASON...   ("quotes" for a name with spaces)
      const usage = 'Use `/backup pause SERVER [until YYYY-MM-DD] REASON`, e.g. `/backup pause fs01 until 2026-12-31 replaced by fs02`.';
      const m = /^\s*\S+\s+(?:"([^"]+)"|(\S+))\s*(.*)$/s.exec(text);
      if (!m) return { kind: 'help', error: `Say which server to pause. ${usage}` };
      const server = (m[1] ?? m[2])!;
      let tail = m[3]!.trim();
      let until: Date | null = null;
      const u = /^until\s+(\S+)\s*(.*)$/is.exec(tail);
      if (u) {
        until = /^\d{4}-\d{2}-\d{2}$/.test(u[1]!) ? new Date(`${u[1]}T00:00:00Z`) : null;
        if (!until || Number.isNaN(until.getTime())) return { kind: 'help', error: `\`until\` takes a date like 2026-12-31; got "${u[1]}". ${usage}` };
        tail = u[2]!.trim();
      }
      if (tail.length < 3) return { kind: 'help', error: `Say why the server is paused, so the team knows. ${usage}` };
      return { kind: 'pause', server, until, reason: tail };
    }
    case 'resume':
      if (rest.length === 0) return { kind: 'help', error: 'Say which server: `/backup resume SERVER`.' };
      return { kind: 'resume', server: rest.join(' ').replace(/^"(.*)"$/, '$1') };
    case 'history': {
      if (rest.length === 0) return { kind: 'help', error: 'Say which server: `/backup history SERVER [DAYS]`.' };
      const last = rest[rest.length - 1]!;
      if (rest.length > 1 && /^\d+$/.test(last)) {
        const days = Number(last);
        if (days < 1 || days > MAX_HISTORY_DAYS) {
          return { kind: 'help', error: `DAYS must be between 1 and ${MAX_HISTORY_DAYS}; you gave ${days}.` };
        }
        return { kind: 'history', server: rest.slice(0, -1).join(' '), days };
      }
      return { kind: 'history', server: rest.join(' '), days: DEFAULT_HISTORY_DAYS };
    }
    default:
      // "/backup fs01" is the natural way to ask about one server.
      return { kind: 'status', target: words.join(' ') };
  }
}
