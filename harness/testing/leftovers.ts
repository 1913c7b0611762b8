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

/** Live (not zombie) pids whose process group is `pgid`, from /proc. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) found.push(Number(entry));
  }
  return found;
}

/** Polls `probe` until it returns a value (not undefined); fails after `ms`. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
