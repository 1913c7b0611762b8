import { readFileSync } from 'node:fs';

/**
 * What tells a process apart beyond its pid, so `gc` never takes a reused pid (or a machine that
 * happens to have the same host name, as CI job containers often do) for a live run: the kernel's
 * boot id and the process's start time in clock ticks since boot (/proc/<pid>/stat, field 22).
 * Undefined where /proc does not say (not Linux): `gc` then falls back to the pid alone.
 */
export type ReadText = (path: string) => string;

const readText: ReadText = (path) => readFileSync(path, 'utf8');

export function bootId(read: ReadText = readText): string | undefined {
  try {
    const id = read('/proc/sys/kernel/random/boot_id').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

export function processStart(pid: number, read: ReadText = readText): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = read(`/proc/${pid}/stat`);
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    return start && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}
