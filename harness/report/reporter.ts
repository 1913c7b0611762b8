import { errorMessage, InfraError } from '../common/errors.js';
import { Registry } from '../common/registry.js';
import type { RunRecord } from '../common/run-record.js';
import { JsonReporter } from './json-reporter.js';
import { JunitReporter } from './junit-reporter.js';
import { MarkdownReporter } from './markdown-reporter.js';

/**
 * Turns a run record into files. Called after a run (or by `report <run-dir>`) with the finished
 * record; it must only read the record, never recompute a measurement, and never touch the network.
 */
export interface Reporter {
  readonly name: string;
  /** Writes into `dir` (created if missing) and returns the paths of the files it wrote. */
  write(record: RunRecord, dir: string): Promise<string[]>;
}

export type ReporterRegistry = Registry<Reporter>;

/** The names `createReporterRegistry()` knows, in the order `writeReports` writes them. */
export const DEFAULT_REPORTERS = ['json', 'junit', 'markdown'] as const;

/** A registry holding json, junit and markdown; more can be registered (a name twice throws). */
export function createReporterRegistry(): ReporterRegistry {
  return new Registry<Reporter>('reporter')
    .register('json', () => new JsonReporter())
    .register('junit', () => new JunitReporter())
    .register('markdown', () => new MarkdownReporter());
}

/**
 * Writes the named reports (default: every registered one) and returns all files written. Every
 * name is resolved before anything is written, so a typo fails fast; one reporter failing does not
 * stop the others (run.json matters most), and the failures are thrown together at the end.
 */
export async function writeReports(
  record: RunRecord,
  dir: string,
  names?: readonly string[],
  registry: ReporterRegistry = createReporterRegistry(),
): Promise<string[]> {
  const reporters = (names ?? registry.names()).map((name) => registry.get(name));
  const written: string[] = [];
  const failures: Array<{ name: string; error: unknown }> = [];
  for (const reporter of reporters) {
    try {
      written.push(...(await reporter.write(record, dir)));
    } catch (error: unknown) {
      failures.push({ name: reporter.name, error });
    }
  }
  const first = failures[0];
  if (first) {
    const detail = failures.map((f) => `${f.name}: ${errorMessage(f.error)}`).join('; ');
    throw new InfraError(`could not write reports to ${dir}: ${detail}`, { cause: first.error });
  }
  return written;
}
