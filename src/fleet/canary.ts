import { AppError } from '../errors.ts';

/**
 * A canary path as a server setting: a file path the log can name. Control characters are
 * refused (they would never match a decoded log line, and messages are stored in jsonb).
 */
export function checkCanary(path: string): string {
  const p = path.trim();
  if (p === '') throw new AppError('usage', '--canary needs a file path, e.g. /srv/.backupbot-canary or C:\\Data\\.backupbot-canary (use --no-canary to remove it).');
   
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new AppError('usage', '--canary must not contain control characters (tabs, newlines); give the plain file path.');
  if (p.length > 400) throw new AppError('usage', `--canary is ${p.length} characters long; keep it under 400 (a short path near the top of the backed-up tree).`);
  if (/[\\/]$/.test(p) || p.replace(/\\/g, '/').split('/').filter(Boolean).length === 0) {
    throw new AppError('usage', `--canary "${p}" names a folder; name the file itself, e.g. ${p.replace(/[\\/]+$/, '')}/.backupbot-canary.`);
  }
  return p;
}
