import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { systemClock } from '../common/clock.js';
import { ConfigError, formatConfigIssue, HarnessError } from '../common/errors.js';
import { redact } from '../common/redact.js';
import { loadMatrix, validateFile } from '../config/index.js';
import { filterCells } from '../matrix/index.js';
import { defaultRegistries } from '../run/registries.js';
import { runMatrix } from '../run/run-matrix.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { summaryTable } from './format.js';
import { liveProgress } from './progress-live.js';
import { plainProgress } from './progress-plain.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

const out = (line: string) => process.stdout.write(`${redact(line)}\n`);
const err = (line: string) => process.stderr.write(`${redact(line)}\n`);

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function validateCommand(files: string[]): Promise<number> {
  let bad = 0;
  for (const file of files) {
    try {
      const valid = await validateFile(file);
      const what =
        valid.kind === 'Scenario'
          ? `scenario ${valid.scenario.name}, ${valid.scenario.versions.length} versions`
          : `matrix ${valid.plan.matrix.name}, ${valid.plan.cells.length} cells of scenario ${valid.plan.scenario.name}`;
      out(`ok    ${file} (${what})`);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      bad += 1;
      for (const issue of e.issues) err(formatConfigIssue(issue));
    }
  }
  if (bad > 0) err(`${bad} of ${files.length} file(s) invalid`);
  return bad > 0 ? EXIT.usage : EXIT.ok;
}

async function planCommand(matrixFile: string, opts: { json?: boolean; filter: string[] }): Promise<number> {
  const plan = await loadMatrix(matrixFile);
  const cells = filterCells(plan.cells, opts.filter);
  if (opts.json) {
    out(JSON.stringify({ matrix: plan.matrix.name, scenario: plan.scenario.name, cells }, null, 2));
    return EXIT.ok;
  }
  out(`${plan.matrix.name}: ${cells.length} cell(s) of scenario ${plan.scenario.name}`);
  for (const c of cells) {
    const expect = c.expect
      ? `  expect ${c.expect.status}${c.expect.reason ? ` (${c.expect.reason})` : ''}`
      : '';
    out(`  ${c.id}${expect}`);
  }
  return EXIT.ok;
}

interface RunOpts {
  out: string;
  concurrency?: number;
  filter: string[];
  runId?: string;
  progress: 'auto' | 'live' | 'plain';
  logLevel: string;
}

async function runCommand(matrixFile: string, opts: RunOpts): Promise<number> {
  const plan = await loadMatrix(matrixFile);
  const cells = filterCells(plan.cells, opts.filter);
  if (cells.length === 0) {
    err(`no cell of ${matrixFile} matches the filter ${opts.filter.join(' ')}`);
    return EXIT.usage;
  }
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      err(`\n${name}: stopping; tearing down what was started (press Ctrl-C again to force quit)`);
      controller.abort();
    } else {
      err('forced quit: killing what is still running');
      process.exit(EXIT.interrupted);
    }
  };
  // SIGHUP too: a closed terminal must not leave the product's processes running.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const live =
    opts.progress === 'live' || (opts.progress === 'auto' && process.stdout.isTTY && !process.env.CI);
  const progress = live ? liveProgress() : plainProgress(out, () => systemClock.now());
  const { record, files } = await runMatrix({
    plan,
    cells,
    outDir: resolve(opts.out),
    ...(opts.runId ? { runId: opts.runId } : {}),
    concurrency: opts.concurrency ?? plan.matrix.concurrency,
    signal: controller.signal,
    clock: systemClock,
    registries: defaultRegistries(),
    progress,
    tool: { name: pkg.name, version: pkg.version },
    host: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length },
    logLevel: opts.logLevel,
  });
  out('');
  out(summaryTable(record));
  out('');
  for (const c of record.cells.filter((c) => !c.matchedExpectation)) {
    out(`${c.id}: ${c.status}${c.reason ? ` — ${c.reason}` : ''}`);
    for (const check of c.checks.filter((k) => !k.passed)) out(`  ✗ ${check.message}`);
    if (c.error) out(`  ${c.error.phase}: ${c.error.message}`);
  }
  const matched = record.cells.filter((c) => c.matchedExpectation).length;
  out(`${matched} of ${record.cells.length} cell(s) as expected; exit code ${record.exitCode}`);
  out(`reports: ${files.map((f) => resolve(f)).join(', ')}`);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  return record.exitCode;
}

export async function main(argv: string[]): Promise<number> {
  let debug = argv.includes('--debug');
  const program = new Command()
    .name('upgrade-harness')
    .description(
      'Tests software upgrades under real traffic: installs N, upgrades to N+1 under load, measures downtime, error budgets, rollback and data integrity.',
    )
    .version(pkg.version)
    .option('--debug', 'print stack traces of errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  let code = EXIT.ok as number;

  program
    .command('validate')
    .description('check scenario and matrix files; every problem is reported with file:line:col')
    .argument('<files...>', 'scenario or matrix YAML files')
    .addHelpText(
      'after',
      '\nExample:\n  upgrade-harness validate matrices/demo.yaml scenarios/reference-app.yaml',
    )
    .action(async (files: string[]) => {
      code = await validateCommand(files);
    });

  program
    .command('plan')
    .description('list the cells a matrix expands to')
    .argument('<matrix>', 'matrix YAML file')
    .option('--json', 'print the cells as JSON')
    .option(
      '--filter <expr>',
      'keep cells matching axis=value or a part of the id (repeatable; all must match)',
      collect,
      [],
    )
    .addHelpText('after', '\nExample:\n  upgrade-harness plan matrices/demo.yaml --filter strategy=rolling')
    .action(async (matrix: string, opts: { json?: boolean; filter: string[] }) => {
      code = await planCommand(matrix, opts);
    });

  program
    .command('run')
    .description('run a matrix: every cell installs N, upgrades to N+1 under load, and is judged')
    .argument('<matrix>', 'matrix YAML file')
    .option('--out <dir>', 'reports root; the run writes <dir>/<run-id>/', 'reports')
    .option('--concurrency <n>', 'cells run at once (default: the matrix says, else 1)', positiveInt)
    .option(
      '--filter <expr>',
      'run only cells matching axis=value or a part of the id (repeatable)',
      collect,
      [],
    )
    .option('--run-id <id>', 'name of the run folder (default: time-stamped)')
    .addOption(
      new Option('--progress <mode>', 'progress view').choices(['auto', 'live', 'plain']).default('auto'),
    )
    .addOption(
      new Option('--log-level <level>', "level of the cells' log files")
        .choices(['debug', 'info', 'warn'])
        .default('info'),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 every cell as expected, 1 a cell failed unexpectedly, 2 bad config or usage,\n3 errored/inconclusive/timed out, 130 interrupted.\n\nExample:\n  upgrade-harness run matrices/demo.yaml --concurrency 2 --out reports',
    )
    .action(async (matrix: string, opts: RunOpts) => {
      code = await runCommand(matrix, opts);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    debug ||= Boolean(program.opts().debug);
    return reportFatal(e, debug);
  }
}

function reportFatal(e: unknown, debug: boolean): number {
  if (
    e &&
    typeof e === 'object' &&
    'exitCode' in e &&
    'code' in e &&
    String((e as { code: unknown }).code).startsWith('commander.')
  ) {
    const exitCode = (e as { exitCode: number }).exitCode;
    return exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (e instanceof ConfigError) {
    for (const issue of e.issues) err(formatConfigIssue(issue));
    err(
      `${e.issues.length} problem(s) found; fix them and run again (upgrade-harness validate <file> checks a file)`,
    );
  } else if (e instanceof HarnessError) {
    err(`error: ${e.message}`);
    if (e.hint) err(`hint: ${e.hint}`);
  } else {
    err(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (!debug) err('(run with --debug for the stack trace)');
  }
  if (debug && e instanceof Error && e.stack) err(e.stack);
  return exitCodeForError(e);
}
