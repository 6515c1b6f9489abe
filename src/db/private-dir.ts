import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../errors.ts';

/**
 * DATA_DIR holds every customer's backup logs and the servers' token hashes: it must be
 * readable by the service's user alone. PGlite creates its files 0666 whatever the umask,
 * so they are put right here (at start, after migrations and on a schedule) and the
 * directory itself is 0700, which keeps everyone else out even between two sweeps.
 */
export function makePrivate(dir: string): { changed: number } {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw unusable(dir, `cannot create it: ${(err as Error).message}`);
  }
  let changed = 0;
  const fix = (path: string, want: number) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o777) !== want) {
      chmodSync(path, want);
      changed++;
    }
  };
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        fix(child, 0o700);
        walk(child);
      } else if (!entry.isSymbolicLink()) {
        fix(child, 0o600);
      }
    }
  };
  try {
    fix(dir, 0o700);
    walk(dir);
  } catch (err) {
    throw unusable(dir, `cannot make it private: ${(err as Error).message}`);
  }
  checkPrivate(dir);
  return { changed };
}

/** Refuses to go on when DATA_DIR is open to other users or not writable. */
export function checkPrivate(dir: string): void {
  const st = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw unusable(dir, `it belongs to uid ${st.uid}, not to the user backupbot runs as (uid ${uid})`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw unusable(dir, `its mode is ${(st.mode & 0o777).toString(8)} and could not be changed to 700`);
  }
}

function unusable(dir: string, why: string): AppError {
  return new AppError(
    'startup',
    `DATA_DIR ${dir} cannot be used: ${why}. Run "chown -R $(id -un) ${dir} && chmod -R go-rwx ${dir}", or set DATA_DIR to a directory this user owns.`,
  );
}
