import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunRecord } from '../../common/run-record.js';
import { svgToPng } from '../charts/svg-to-png.js';
import { writeTextFile } from '../write-text-file.js';
import { buildCapacityTable } from './capacity.js';
import { capacityCsv, capacityMarkdown } from './capacity-render.js';
import { buildComparison, type ComparisonOptions, DEFAULT_COMPARISON_OPTIONS } from './comparison.js';
import { comparisonCsv, comparisonMarkdown } from './comparison-render.js';
import { benchPlots } from './plots.js';
import { readBenchRuns } from './read-runs.js';
import { scenarioNames, sourcesMarkdown } from './render-common.js';

export const CAPACITY_MD = 'capacity.md';
export const CAPACITY_CSV = 'capacity.csv';
export const COMPARISON_MD = 'comparison.md';
export const COMPARISON_CSV = 'comparison.csv';
/** PNG width: twice the SVG's, sharp on high-density screens and in print. */
const PNG_WIDTH_PX = 1800;

export interface BenchReportOptions extends ComparisonOptions {
  /** Also write each plot as PNG (default true). */
  png: boolean;
}

export const DEFAULT_BENCH_REPORT_OPTIONS: BenchReportOptions = { ...DEFAULT_COMPARISON_OPTIONS, png: true };

/** Every file of the bench report, by name, as text (plots' PNGs are made from the SVGs when written). */
export interface BenchDocuments {
  files: Array<{ name: string; text: string }>;
  plots: Array<{ name: string; svg: string }>;
}

/** The bench report of the given run records, as documents (pure). */
export function renderBenchReport(
  records: readonly RunRecord[],
  options: ComparisonOptions = DEFAULT_COMPARISON_OPTIONS,
): BenchDocuments {
  const capacity = buildCapacityTable(records);
  const comparison = buildComparison(records, options);
  const plots = benchPlots(records, capacity);
  const scenario = scenarioNames(records);
  const capacityDoc = [
    `# Capacity: ${scenario}`,
    '',
    ...sourcesMarkdown(records),
    '',
    ...capacityMarkdown(capacity),
    '',
    '## Plots',
    '',
    ...plots.flatMap((p) => [`![${p.title}](${p.name}.svg)`, '']),
    `Versions compared: [${COMPARISON_MD}](${COMPARISON_MD}).`,
    '',
  ];
  const comparisonDoc = [
    `# Version N vs N+1: ${scenario}`,
    '',
    ...sourcesMarkdown(records),
    '',
    ...comparisonMarkdown(comparison),
    '',
  ];
  return {
    files: [
      { name: CAPACITY_MD, text: capacityDoc.join('\n') },
      { name: CAPACITY_CSV, text: capacityCsv(capacity) },
      { name: COMPARISON_MD, text: comparisonDoc.join('\n') },
      { name: COMPARISON_CSV, text: comparisonCsv(comparison) },
    ],
    plots: plots.map((p) => ({ name: p.name, svg: p.svg })),
  };
}

/**
 * Reads the run records in `runDirs`, and writes the bench report into `outDir`: capacity.md/.csv,
 * comparison.md/.csv and each plot as .svg and .png. Returns the paths written, in that order.
 * A missing or broken run.json is a UsageError naming the file and the problem.
 */
export async function benchReport(
  runDirs: readonly string[],
  outDir: string,
  options: BenchReportOptions = DEFAULT_BENCH_REPORT_OPTIONS,
): Promise<string[]> {
  const runs = await readBenchRuns(runDirs);
  const docs = renderBenchReport(
    runs.map((r) => r.record),
    options,
  );
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const f of docs.files) {
    const path = join(outDir, f.name);
    await writeTextFile(path, f.text);
    written.push(path);
  }
  for (const p of docs.plots) {
    const svgPath = join(outDir, `${p.name}.svg`);
    await writeTextFile(svgPath, p.svg);
    written.push(svgPath);
    if (!options.png) continue;
    const pngPath = join(outDir, `${p.name}.png`);
    await writeTextFile(pngPath, svgToPng(p.svg, PNG_WIDTH_PX));
    written.push(pngPath);
  }
  return written;
}
