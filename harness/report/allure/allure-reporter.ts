import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnvironmentInfo, ExecutorInfo } from 'allure-js-commons/sdk';
import { FileSystemWriter } from 'allure-js-commons/sdk/reporter';
import type { RunRecord } from '../../common/run-record.js';
import type { CellChartRenderer, Reporter } from '../reporter.js';
import { writeTextFile } from '../write-text-file.js';
import { cellAttachments } from './allure-attachments.js';
import { allureCategories } from './allure-categories.js';
import { cellTestResult } from './allure-test-result.js';

export const ALLURE_RESULTS_DIR = 'allure-results';
export const ALLURE_CATEGORIES_FILE = 'categories.json';
export const ALLURE_ENVIRONMENT_FILE = 'environment.properties';
export const ALLURE_EXECUTOR_FILE = 'executor.json';

export interface AllureReporterOptions {
  /** Renders a cell's timeline charts, attached as SVG; without it no chart is attached. */
  charts?: CellChartRenderer;
  /** A cell log longer than this is attached as its last this many bytes (default 10 MiB). */
  maxLogBytes?: number;
}

/**
 * `allure-results/` in the Allure 2/3 results format, for `npx allure generate` (Allure 3) or
 * `allure generate` (Allure 2): one test result per cell with a step per phase and per check, the
 * cell's record, charts and log as attachments, `categories.json`, `environment.properties` and
 * `executor.json`.
 *
 * File names derive from the run id and cell ids, so writing the same record again overwrites the
 * same files; nothing else in the folder is touched (it may also hold other tools' results).
 */
export class AllureReporter implements Reporter {
  readonly name = 'allure';

  constructor(private readonly options: AllureReporterOptions = {}) {}

  async write(record: RunRecord, dir: string): Promise<string[]> {
    const resultsDir = join(dir, ALLURE_RESULTS_DIR);
    await mkdir(resultsDir, { recursive: true });
    // Writes each file through a temporary one and a rename, so Allure never reads half a file.
    const writer = new FileSystemWriter({ resultsDir });
    const written: string[] = [];
    for (const cell of record.cells) {
      const pending = await cellAttachments(record, cell, dir, this.options);
      for (const { attachment, content } of pending) {
        writer.writeAttachment(attachment.source, content);
        written.push(join(resultsDir, attachment.source));
      }
      const result = cellTestResult(
        record,
        cell,
        pending.map((p) => p.attachment),
      );
      writer.writeResult(result);
      written.push(join(resultsDir, `${result.uuid}-result.json`));
    }
    writer.writeCategoriesDefinitions(allureCategories());
    writer.writeEnvironmentInfo(allureEnvironment(record));
    const executorPath = join(resultsDir, ALLURE_EXECUTOR_FILE);
    await writeTextFile(executorPath, `${JSON.stringify(allureExecutor(record), null, 2)}\n`);
    written.push(
      join(resultsDir, ALLURE_CATEGORIES_FILE),
      join(resultsDir, ALLURE_ENVIRONMENT_FILE),
      executorPath,
    );
    return written;
  }
}

/** The Environment widget: the run and the machine it ran on, as the record has them. */
export function allureEnvironment(record: RunRecord): EnvironmentInfo {
  return {
    tool: `${record.tool.name} ${record.tool.version}`,
    'run.id': record.runId,
    'run.status': record.status,
    'run.exitCode': String(record.exitCode),
    'run.startedAt': isoTime(record.startedAt),
    matrix: `${record.matrix.name} (${record.matrix.file})`,
    scenario: `${record.scenario.name} (${record.scenario.file})`,
    node: record.host.node,
    platform: record.host.platform,
    cpus: String(record.host.cpus),
  };
}

/** The Executors widget: which tool produced the results, and for which run. */
export function allureExecutor(record: RunRecord): ExecutorInfo {
  return {
    name: record.tool.name,
    type: record.tool.name,
    buildName: `${record.matrix.name} ${record.runId}`,
    reportName: `${record.tool.name}: ${record.matrix.name}`,
  };
}

function isoTime(epochMs: number): string | undefined {
  return Number.isFinite(epochMs) ? new Date(epochMs).toISOString() : undefined;
}
