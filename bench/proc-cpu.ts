import { readFile } from 'node:fs/promises';
import { runCommand } from '../harness/common/exec.js';

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on common Linux builds). */
export async function clockTicks(): Promise<number> {
  try {
    const { stdout } = await runCommand(['getconf', 'CLK_TCK'], { timeoutMs: 5000 });
    const ticks = Number(stdout.trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat; null when unreadable. */
export async function processCpuMs(pid: number, ticks: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: utime and stime are fields 14 and 15, i.e. 11 and 12 after `) `.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / ticks) * 1000;
  } catch {
    return null;
  }
}

/** Busy and total CPU time of the whole machine (ms, summed over cores), from /proc/stat. */
export async function machineCpuMs(ticks: number): Promise<{ busyMs: number; totalMs: number } | null> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busyMs: ((total - idle) / ticks) * 1000, totalMs: (total / ticks) * 1000 };
  } catch {
    return null;
  }
}
