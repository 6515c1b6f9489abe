import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded database may only be opened by one process at a time: two PGlite
 * instances on one directory would corrupt it. The owner writes its pid here.
 */
export interface LockInfo {
  pid: number;
  /** Unix socket where a running `serve` accepts CLI commands. */
  socket?: string;
}

export const lockPath = (dataDir: string) => join(dataDir, 'backupbot.lock');

export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock, or returns the live holder's info. A lock left by a dead process
 * (a crash, kill -9) is taken over.
 */
export function acquireLock(dataDir: string, info: LockInfo): { ok: true; release: () => void } | { ok: false; holder: LockInfo } {
  mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      return {
        ok: true,
        release: () => {
          if (readLock(dataDir)?.pid === info.pid) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(dataDir);
      if (holder && holder.pid !== process.pid && alive(holder.pid)) return { ok: false, holder };
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}

/** Records the CLI socket in a lock this process already holds. */
export function updateLock(dataDir: string, info: LockInfo): void {
  const fd = openSync(lockPath(dataDir), 'w', 0o600);
  writeSync(fd, JSON.stringify(info));
  closeSync(fd);
}
