import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.js';

/**
 * `mkdir -p`, one level at a time, with an error that names the folder. (Node's recursive mkdir
 * never returns for some paths, e.g. under /proc.)
 */
export async function makeDirs(path: string, what = 'folder'): Promise<void> {
  const target = resolve(path);
  const missing: string[] = [];
  for (let dir = target; ; dir = dirname(dir)) {
    const exists = await stat(dir).then(
      (s) => s.isDirectory() || 'file',
      () => false,
    );
    if (exists === 'file') throw new UsageError(`cannot create the ${what} ${target}: ${dir} is a file`);
    if (exists) break;
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) {
    try {
      await mkdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new UsageError(
        `cannot create the ${what} ${target}: ${code ?? String(err)} at ${dir}`,
        'choose a folder you can write to with --out',
      );
    }
  }
}
