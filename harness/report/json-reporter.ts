import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, InfraError, UsageError } from '../common/errors.js';
import { RUN_RECORD_SCHEMA_VERSION, type RunRecord } from '../common/run-record.js';
import type { Reporter } from './reporter.js';
import { writeTextFile } from './write-text-file.js';

export const RUN_JSON_FILE = 'run.json';

/** Writes the run record itself as `run.json`: the source every other report is derived from. */
export class JsonReporter implements Reporter {
  readonly name = 'json';

  async write(record: RunRecord, dir: string): Promise<string[]> {
    const path = join(dir, RUN_JSON_FILE);
    await writeTextFile(path, serializeRunRecord(record));
    return [path];
  }
}

/** Pretty JSON (2 spaces, trailing newline). Throws on NaN/±Infinity: JSON would turn them into null. */
export function serializeRunRecord(record: RunRecord): string {
  assertFiniteNumbers(record, 'record');
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * A non-finite number in a run record is a bug in whatever built it (an unbounded ratio must be
 * written as 1e9, see ErrorBudget.consumedRatio), so this names the exact field and throws.
 */
export function assertFiniteNumbers(value: unknown, path: string): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new Error(
        `run record has a non-finite number at ${path} (${value}); whatever computed it must write a finite number`,
      );
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      assertFiniteNumbers(item, `${path}[${i}]`);
    });
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) assertFiniteNumbers(item, `${path}.${key}`);
  }
}

/**
 * Reads the run record of a finished run: `dir` is a run directory (holding run.json) or the path
 * of a run.json itself. Checks the schema version and the few fields every report needs; the rest is
 * trusted, since only this tool writes the file.
 */
export async function readRunRecord(dir: string): Promise<RunRecord> {
  const path = (await isDirectory(dir)) ? join(dir, RUN_JSON_FILE) : dir;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UsageError(
        `no run record at ${path}`,
        'pass a run directory written by `upgrade-harness run` (it holds run.json)',
      );
    }
    throw new InfraError(`could not read ${path}: ${errorMessage(error)}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    throw new UsageError(`${path} is not valid JSON: ${errorMessage(error)}`);
  }
  return checkRunRecord(parsed, path);
}

function checkRunRecord(parsed: unknown, path: string): RunRecord {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`${path} is not a run record (expected a JSON object)`);
  }
  const doc = parsed as Record<string, unknown>;
  const version = doc.schemaVersion;
  if (version === undefined) {
    throw new UsageError(
      `${path} has no schemaVersion, so it is not a run record written by upgrade-harness`,
    );
  }
  if (version !== RUN_RECORD_SCHEMA_VERSION) {
    const tool = doc.tool as { name?: unknown; version?: unknown } | undefined;
    const writer = typeof tool?.version === 'string' ? ` (written by upgrade-harness ${tool.version})` : '';
    throw new UsageError(
      `${path} has schemaVersion ${JSON.stringify(version)}${writer}; this upgrade-harness reads schemaVersion ${RUN_RECORD_SCHEMA_VERSION}`,
      'use the upgrade-harness version that wrote the run to regenerate its reports',
    );
  }
  const missing = ['runId', 'matrix', 'scenario', 'cells'].filter((key) => doc[key] === undefined);
  if (missing.length > 0 || !Array.isArray(doc.cells)) {
    const what =
      missing.length > 0 ? `lacks ${missing.join(', ')}` : 'has a "cells" field that is not a list';
    throw new UsageError(`${path} is not a complete run record: it ${what}`);
  }
  return parsed as RunRecord;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
