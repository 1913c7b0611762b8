import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes UTF-8 text (or bytes) through a temporary file and a rename, so a reader (or a crashed
 * run) never sees half a report.
 */
export async function writeTextFile(path: string, text: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (error: unknown) {
    await rm(tmp, { force: true });
    throw error;
  }
}
