import { join, resolve } from 'node:path';
import { UsageError } from '../../common/errors.js';
import type { RunRecord } from '../../common/run-record.js';
import { readRunRecord } from '../json-reporter.js';

/** A run record and where it was read from. */
export interface LoadedRun {
  path: string;
  record: RunRecord;
}

/**
 * Reads the run records of `runDirs` (a run directory or a run.json each) and checks every field
 * the bench report reads, so a broken file is named with the exact field instead of failing later.
 * The same run given twice (by run id, also as a part of a merged run) would count its cells twice
 * as repetitions: a UsageError.
 */
export async function readBenchRuns(runDirs: readonly string[]): Promise<LoadedRun[]> {
  if (runDirs.length === 0)
    throw new UsageError('no run directory given', 'pass one or more run directories');
  const runs: LoadedRun[] = [];
  const seen = new Map<string, string>();
  for (const dir of runDirs) {
    const record = await readRunRecord(dir);
    checkBenchFields(record, dir);
    // A merged run holds its shards' cells: the shards given as well would count twice.
    const ids = [record.runId, ...(record.mergedFrom ?? []).map((m) => m.runId)];
    for (const id of ids) {
      const earlier = seen.get(id);
      if (earlier !== undefined) {
        throw new UsageError(
          `run ${id} is given twice (${earlier} and ${dir}${id === record.runId ? '' : `, merged into ${record.runId}`}); its cells would count twice as repetitions`,
          'pass either a merged run or its shards, and each run once',
        );
      }
    }
    for (const id of ids) seen.set(id, dir);
    runs.push({ path: resolve(dir), record });
  }
  return runs;
}

type Shape = 'object' | 'array' | 'number' | 'string' | 'boolean';

/** Field → shape, for each cell; `?` marks a field that may be absent (or null). */
const CELL_FIELDS: ReadonlyArray<[string, Shape]> = [
  ['id', 'string'],
  ['axes', 'object'],
  ['status', 'string'],
  ['phases', 'array'],
  ['checks', 'array'],
  ['downtimeSeconds', 'number'],
  ['errorBudget', 'object'],
  ['errorBudget.requests', 'number'],
  ['errorBudget.consumedRatio', 'number'],
  ['errorBudget.byPhase', 'object'],
  ['requests', 'object'],
  ['requests.total', 'number'],
  ['latency', 'object'],
  ['load', 'object'],
  ['load.targetRate', 'number'],
  ['load.byPhase?', 'object'],
  ['rollback', 'object'],
  ['rollback.attempted', 'boolean'],
  ['rollback.seconds?', 'number'],
  ['rollback.downtimeSeconds?', 'number'],
];

function checkBenchFields(record: RunRecord, where: string): void {
  const file = where.endsWith('.json') ? where : join(where, 'run.json');
  const problems: string[] = [];
  record.cells.forEach((cell: unknown, i) => {
    const at = `cells[${i}]`;
    if (!isObject(cell)) {
      problems.push(`${at} is not an object`);
      return;
    }
    for (const [spec, shape] of CELL_FIELDS) {
      const optional = spec.endsWith('?');
      const path = optional ? spec.slice(0, -1) : spec;
      const value = dig(cell, path);
      if (value === undefined || value === null) {
        if (!optional) problems.push(`${at}.${path} is missing`);
      } else if (!hasShape(value, shape)) {
        problems.push(`${at}.${path} is not ${shape === 'array' ? 'a list' : `a ${shape}`}`);
      }
    }
    const phases = cell.phases;
    if (Array.isArray(phases)) {
      phases.forEach((p: unknown, j) => {
        if (
          !isObject(p) ||
          typeof p.name !== 'string' ||
          typeof p.startedAt !== 'number' ||
          typeof p.endedAt !== 'number'
        )
          problems.push(`${at}.phases[${j}] needs a name, startedAt and endedAt`);
      });
    }
    if (isObject(cell.axes) && Object.values(cell.axes).some((v) => typeof v !== 'string'))
      problems.push(`${at}.axes has a value that is not a string`);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
    throw new UsageError(`${file} cannot be used for a bench report: ${shown}${more}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function hasShape(v: unknown, shape: Shape): boolean {
  if (shape === 'array') return Array.isArray(v);
  if (shape === 'object') return isObject(v);
  if (shape === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeof v === shape;
}

function dig(obj: Record<string, unknown>, path: string): unknown {
  let at: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(at)) return undefined;
    at = at[part];
  }
  return at;
}
