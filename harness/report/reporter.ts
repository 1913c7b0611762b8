import { errorMessage, InfraError } from '../common/errors.js';
import { Registry } from '../common/registry.js';
import type { CellRecord, RunRecord } from '../common/run-record.js';
import { AllureReporter } from './allure/allure-reporter.js';
import { ChartsReporter } from './charts/charts-reporter.js';
import { renderCellCharts } from './charts/render-cell-charts.js';
import { HtmlReporter } from './html/html-reporter.js';
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

/** One chart of a cell, rendered server-side. */
export interface CellChart {
  /** File-name-safe id, e.g. `rate-by-outcome`. */
  name: string;
  title: string;
  /** A self-contained SVG document (no script, no external reference). */
  svg: string;
}

/** Renders a cell's timeline charts (none for a cell without a timeline). Pure; never touches the network. */
export type CellChartRenderer = (cell: CellRecord, record: RunRecord) => CellChart[];

/** The names `createReporterRegistry()` knows, in the order `writeReports` writes them. */
export const DEFAULT_REPORTERS = ['json', 'junit', 'markdown', 'charts', 'html', 'allure'] as const;

/** Reporters in the order they must run: the html report links the chart files the charts reporter wrote. */
function inWriteOrder(names: readonly string[]): string[] {
  const rank = (name: string) => {
    const i = (DEFAULT_REPORTERS as readonly string[]).indexOf(name);
    return i === -1 ? DEFAULT_REPORTERS.length : i;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * A registry holding every built-in reporter; more can be registered (a name twice throws). The
 * reporters that draw charts share one renderer that draws each cell's charts once.
 */
export function createReporterRegistry(): ReporterRegistry {
  const renderer = cachedRenderer(renderCellCharts);
  return new Registry<Reporter>('reporter')
    .register('json', () => new JsonReporter())
    .register('junit', () => new JunitReporter())
    .register('markdown', () => new MarkdownReporter())
    .register('html', () => new HtmlReporter({ renderer }))
    .register('charts', () => new ChartsReporter({ renderer }))
    .register('allure', () => new AllureReporter({ charts: renderer }));
}

/** The same charts for the same cell object, drawn once (a record's cells do not change while reports are written). */
function cachedRenderer(render: CellChartRenderer): CellChartRenderer {
  const drawn = new WeakMap<CellRecord, CellChart[]>();
  return (cell, record) => {
    let charts = drawn.get(cell);
    if (!charts) {
      charts = render(cell, record);
      drawn.set(cell, charts);
    }
    return charts;
  };
}

/**
 * Writes the named reports (default: every registered one), in write order (charts before the html
 * report that links them), and returns all files written. Every
 * name is resolved before anything is written, so a typo fails fast; one reporter failing does not
 * stop the others (run.json matters most), and the failures are thrown together at the end.
 */
export async function writeReports(
  record: RunRecord,
  dir: string,
  names?: readonly string[],
  registry: ReporterRegistry = createReporterRegistry(),
): Promise<string[]> {
  const reporters = inWriteOrder(names ?? registry.names()).map((name) => registry.get(name));
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
