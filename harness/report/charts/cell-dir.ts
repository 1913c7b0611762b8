import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** The folder under a cell's artifacts that holds its charts. */
export const CHARTS_DIR = 'charts';

/**
 * The absolute folder of a cell's artifacts, or null when the record's `artifactsDir` would lead
 * outside the run directory (absolute, or climbing with `..`): reports never read or write there.
 * Lexical only: see `realPathInside` for symbolic links.
 */
export function cellDirIn(runDir: string, artifactsDir: string): string | null {
  if (isAbsolute(artifactsDir)) return null;
  const root = resolve(runDir);
  const target = resolve(root, artifactsDir);
  return isStrictlyInside(root, target) ? target : null;
}

/**
 * Where `path` really is once every symbolic link on the way is resolved (for a path that does not
 * exist yet: its deepest existing folder resolved, the rest appended), or null when that is not
 * strictly inside the run directory's own real path, when a link on the way points at nothing, or
 * when the run directory does not exist. A run directory from elsewhere (merge-reports, report) may
 * hold links that lead out of it; reports neither read nor write through them.
 */
export async function realPathInside(runDir: string, path: string): Promise<string | null> {
  let root: string;
  try {
    root = await realpath(runDir);
  } catch (error: unknown) {
    if (isMissing(error)) return null;
    throw error;
  }
  const rest: string[] = [];
  let existing = resolve(path);
  for (;;) {
    try {
      const real = join(await realpath(existing), ...rest);
      return isStrictlyInside(root, real) ? real : null;
    } catch (error: unknown) {
      if (!isMissing(error)) throw error;
      // A link to nothing (yet): whatever is made through it would land where the link says.
      if (await isSymbolicLink(existing)) return null;
      const parent = dirname(existing);
      if (parent === existing) return null;
      rest.unshift(basename(existing));
      existing = parent;
    }
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function isSymbolicLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

function isStrictlyInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
