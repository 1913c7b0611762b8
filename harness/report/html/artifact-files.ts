import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { CellRecord } from '../../common/run-record.js';
import { cellDirIn, realPathInside } from '../charts/cell-dir.js';
import type { ArtifactFile } from './cell-details.js';

/** Enough for every log of a cell; a runaway folder must not make the page huge. */
const MAX_FILES = 300;
const MAX_DEPTH = 4;

/**
 * The regular files under a cell's artifacts folder, relative to the run directory: `cell.log`
 * first, then by path. Symbolic links inside it are skipped (neither listed nor followed), and a
 * folder that is, or leads through a link to, somewhere outside the run directory is never read.
 */
export async function listArtifactFiles(runDir: string, cell: CellRecord): Promise<ArtifactFile[]> {
  const root = cellDirIn(runDir, cell.artifactsDir);
  if (root === null || (await realPathInside(runDir, root)) === null) return [];
  const files: ArtifactFile[] = [];
  await walk(root, 0, async (path) => {
    const stat = await lstat(path);
    if (stat.isFile()) files.push({ path: relative(runDir, path).split(sep).join('/'), bytes: stat.size });
  });
  const cellLog = (f: ArtifactFile) => (f.path.endsWith('/cell.log') ? 0 : 1);
  return files
    .sort((a, b) => cellLog(a) - cellLog(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .slice(0, MAX_FILES);
}

async function walk(dir: string, depth: number, onFile: (path: string) => Promise<void>): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error: unknown) {
    if (isMissing(error)) return;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isFile() && !entry.name.endsWith('.tmp')) await onFile(path);
    else if (entry.isDirectory() && depth < MAX_DEPTH) await walk(path, depth + 1, onFile);
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
