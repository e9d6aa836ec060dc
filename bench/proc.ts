// What the bench reads about the processes it measures, from Linux /proc: CPU seconds and resident memory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A process's resident memory now and at its peak, in MB. */
export function residentMemory(pid: number | undefined): { rssMb: number; peakMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far (clock ticks of 10 ms). */
export function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The CPU seconds of several processes together; undefined when any of them cannot be read. */
export function summedCpuSeconds(pids: readonly (number | undefined)[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (s === undefined) return undefined;
    total += s;
  }
  return total;
}

/**
 * CPU seconds the PostgreSQL server has used so far: the postmaster and every backend and worker it started (their
 * /proc entries name it as parent), so the bench can split a request's CPU between Roster and the database. A
 * backend that exits between two readings takes its share with it; the bench's pools keep their backends.
 */
export function postgresCpuSeconds(dataDir: string | undefined): number | undefined {
  if (dataDir === undefined) return undefined;
  try {
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    let total = cpuSeconds(postmaster) ?? 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
        if (Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        // the process ended while the directory was read
      }
    }
    return total;
  } catch {
    return undefined;
  }
}
