import { readdir, readFile } from 'node:fs/promises';

/** Pids of live processes whose environment contains `mark` (children inherit it from the CLI). */
export async function processesWithMark(mark: string): Promise<Array<{ pid: number; cmdline: string }>> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'latin1');
      if (!environ.includes(mark)) continue;
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'latin1')).replaceAll('\0', ' ').trim();
      const stat = await readFile(`/proc/${entry}/stat`, 'latin1');
      if (/\) Z /.test(stat)) continue; // a zombie holds no port and no memory
      found.push({ pid: Number(entry), cmdline });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
