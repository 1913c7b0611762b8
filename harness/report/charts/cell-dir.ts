import { isAbsolute, relative, resolve } from 'node:path';

/** The folder under a cell's artifacts that holds its charts. */
export const CHARTS_DIR = 'charts';

/**
 * The absolute folder of a cell's artifacts, or null when the record's `artifactsDir` would lead
 * outside the run directory (absolute, or climbing with `..`): reports never read or write there.
 */
export function cellDirIn(runDir: string, artifactsDir: string): string | null {
  if (isAbsolute(artifactsDir)) return null;
  const root = resolve(runDir);
  const target = resolve(root, artifactsDir);
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return target;
}
