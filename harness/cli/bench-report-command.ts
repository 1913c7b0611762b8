import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { benchReport } from '../report/bench/index.js';

export interface BenchReportCommandDeps {
  /** Prints one line to stdout. */
  out: (line: string) => void;
}

interface BenchReportOpts {
  out: string;
  latencyThreshold: number;
  throughputThreshold: number;
  png: boolean;
}

function percentage(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a percentage of 0 or more, e.g. 10');
  return n;
}

/**
 * `upgrade-harness bench-report <run-dirs...>`: capacity tables across sizes and versions and the
 * N vs N+1 comparison, as Markdown, CSV and plots, from the run records of one or more runs (the
 * same cell in several runs counts as repetitions). Errors are thrown for the caller's error
 * handling: a missing or broken run.json is a UsageError (exit 2) naming the file and the problem.
 */
export function registerBenchReportCommand(program: Command, deps: BenchReportCommandDeps): Command {
  return program
    .command('bench-report')
    .description(
      'capacity tables (throughput, latency, upgrade duration, downtime, rollback) across sizes and versions, and version N vs N+1, as Markdown, CSV and SVG/PNG plots',
    )
    .argument(
      '<run-dirs...>',
      'run directories (or their run.json); the same cell in several runs is a repetition',
    )
    .option('--out <dir>', 'where to write the report', 'bench-report')
    .option(
      '--latency-threshold <percent>',
      'mark a latency percentile of N+1 that is higher than N by more than this',
      percentage,
      10,
    )
    .option(
      '--throughput-threshold <percent>',
      'mark a rate of N+1 that is lower than N by more than this',
      percentage,
      5,
    )
    .option('--no-png', 'write the plots as SVG only')
    .addHelpText(
      'after',
      '\nWrites capacity.md, capacity.csv, comparison.md, comparison.csv and the plots\n(latency-p99-by-size, downtime-by-size, throughput-by-size) as .svg and .png.\n\nExample:\n  upgrade-harness bench-report reports/nightly-1 reports/nightly-2 --out bench-report',
    )
    .action(async (runDirs: string[], opts: BenchReportOpts) => {
      const outDir = resolve(opts.out);
      const files = await benchReport(runDirs, outDir, {
        latencyThresholdPercent: opts.latencyThreshold,
        throughputThresholdPercent: opts.throughputThreshold,
        png: opts.png,
      });
      deps.out(`bench report of ${runDirs.length} run(s) in ${outDir}:`);
      for (const file of files) deps.out(`  ${file}`);
    });
}
