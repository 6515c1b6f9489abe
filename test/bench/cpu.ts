/**
 * CPU accounting for the benchmarks (Linux /proc; every reading is null elsewhere), so the
 * table can say where an upload's CPU went: this process (the service), the Postgres
 * processes, the load generator, and everything else on the machine.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: /proc reports process times in these ticks (100 on every mainstream Linux). */
const TICKS_PER_SEC = 100;

/** Busy and total CPU time of the whole machine, in ms, summed over all CPUs. */
export function machineCpuMs(): { busy: number; total: number } | null {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const v = first.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: ((total - idle) * 1000) / TICKS_PER_SEC, total: (total * 1000) / TICKS_PER_SEC };
  } catch {
    return null;
  }
}

/** user+system CPU (ms) of every process whose command name is `comm` (e.g. "postgres"). */
export function processesCpuMs(comm: string): number | null {
  try {
    let ticks = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== comm) continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return (ticks * 1000) / TICKS_PER_SEC;
  } catch {
    return null;
  }
}

/** user+system CPU (ms) of this process. */
export function selfCpuMs(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
}

/** How busy the machine is over `ms` (percent of ONE cpu, so 2 busy cores = 200). */
export async function machineBusyPercent(ms: number): Promise<number | null> {
  const a = machineCpuMs();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineCpuMs();
  if (!a || !b) return null;
  return ((b.busy - a.busy) / ms) * 100;
}
