import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../harness/common/sample.js';

/** The part of harness/analyze/fold.ts the benchmark uses (that file may not exist yet). */
export interface CellFoldLike {
  markPhase(name: string, at: number): void;
  add(sample: Sample): void;
  finish(): unknown;
}

export type CellFoldConstructor = new (options: { bucketMs: number; timeoutMs: number }) => CellFoldLike;

export type FoldLoad = { ok: true; CellFold: CellFoldConstructor } | { ok: false; reason: string };

const FOLD_URL = new URL('../harness/analyze/fold.ts', import.meta.url);

/** The harness' CellFold when harness/analyze/fold.ts exists and exports it, else why not. */
export async function loadCellFold(): Promise<FoldLoad> {
  if (!existsSync(fileURLToPath(FOLD_URL)))
    return { ok: false, reason: 'harness/analyze/fold.ts does not exist' };
  let mod: unknown;
  try {
    mod = await import(FOLD_URL.href);
  } catch (err: unknown) {
    return { ok: false, reason: `harness/analyze/fold.ts failed to load: ${String(err)}` };
  }
  const CellFold = (mod as { CellFold?: unknown }).CellFold;
  if (typeof CellFold !== 'function')
    return { ok: false, reason: 'harness/analyze/fold.ts exports no CellFold' };
  return { ok: true, CellFold: CellFold as CellFoldConstructor };
}
