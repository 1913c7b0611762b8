import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, formatConfigIssue, HarnessError } from '../common/errors.js';
import { redact } from '../common/redact.js';
import { loadMatrix, validateFile } from '../config/index.js';
import { formatHops } from '../matrix/expand.js';
import { filterCells } from '../matrix/index.js';
import { parseShard } from '../run/shard.js';
import { registerBenchReportCommand } from './bench-report-command.js';
import { type MergeOpts, mergeReportsCommand, reportCommand, reporterList } from './commands-report.js';
import { registerDoctorCommand } from './doctor-command.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { processGcDeps, registerGcCommand } from './gc-command.js';
import { type RunOpts, runCommand, selectCells } from './run-command.js';

/** The repository (or installed package) root: two folders up from harness/cli/ and from dist/cli/. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
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
          : valid.kind === 'Catalog'
            ? `catalog ${valid.catalog.name}, ${valid.catalog.versions.length} versions, ${valid.catalog.requiredStops.length} required stops`
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

interface PlanOpts {
  json?: boolean;
  filter: string[];
  shard?: string;
}

async function planCommand(matrixFile: string, opts: PlanOpts): Promise<number> {
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const plan = await loadMatrix(matrixFile);
  const { cells, of } = selectCells(plan.cells.length, filterCells(plan.cells, opts.filter), shard);
  if (opts.json) {
    const doc = {
      matrix: plan.matrix.name,
      scenario: plan.scenario.name,
      ...(plan.catalog ? { catalog: plan.catalog.name } : {}),
      ...(shard ? { shard } : {}),
      cells,
    };
    out(JSON.stringify(doc, null, 2));
    return EXIT.ok;
  }
  out(`${plan.matrix.name}: ${cells.length} cell(s) of scenario ${plan.scenario.name}${of}`);
  for (const c of cells) {
    const expect = c.expect
      ? `  expect ${c.expect.status}${c.expect.reason ? ` (${c.expect.reason})` : ''}`
      : '';
    out(`  ${c.id}${expect}`);
    const stops = c.path.via?.length ?? 0;
    if (stops > 0) out(`      ${formatHops(c.path)} (${stops + 1} hops)`);
  }
  return EXIT.ok;
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
    .description('check scenario, matrix and catalog files; every problem is reported with file:line:col')
    .argument('<files...>', 'scenario, matrix or catalog YAML files')
    .addHelpText(
      'after',
      '\nExample:\n  upgrade-harness validate matrices/demo.yaml scenarios/reference-app.yaml matrices/catalogs/gitlab.yaml',
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
    .option('--shard <i/n>', 'list only the cells `run --shard i/n` runs')
    .addHelpText(
      'after',
      '\nExamples:\n  upgrade-harness plan matrices/demo.yaml --filter strategy=rolling\n  upgrade-harness plan matrices/demo.yaml --shard 2/3',
    )
    .action(async (matrix: string, opts: PlanOpts) => {
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
    .option(
      '--shard <i/n>',
      'run one of n slices of the (filtered) cells: sorted by id, cell k (from 0) belongs to shard (k mod n) + 1',
    )
    .option(
      '--dry-run',
      'print, per cell, the exact commands and API calls it would make; create and run nothing',
    )
    .option(
      '--reporter <names>',
      'reports to write, separated by commas (repeatable; default: all); run.json is always written',
      reporterList,
    )
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
      '\nExit codes: 0 every cell as expected, 1 a cell failed unexpectedly, 2 bad config or usage,\n3 errored/inconclusive/timed out, 130 interrupted.\n\nExamples:\n  upgrade-harness run matrices/demo.yaml --concurrency 2 --out reports\n  upgrade-harness run matrices/demo.yaml --shard 1/3 --run-id shard-1 --reporter junit',
    )
    .action(async (matrix: string, opts: RunOpts) => {
      code = await runCommand(matrix, opts, { out, err, pkg, repoRoot: REPO_ROOT });
    });

  program
    .command('report')
    .description('write the reports of a finished run again from its run.json (nothing is run again)')
    .argument('<run-dir>', 'a run folder written by `run` or `merge-reports` (or its run.json)')
    .option(
      '--reporter <names>',
      'reports to write, separated by commas (repeatable; default: every one except json: run.json is the source and is kept)',
      reporterList,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  upgrade-harness report reports/20260101-020000-a1b2\n  upgrade-harness report reports/20260101-020000-a1b2 --reporter junit,markdown',
    )
    .action(async (runDir: string, opts: { reporter?: string[] }) => {
      code = await reportCommand(runDir, opts, { out, err });
    });

  program
    .command('merge-reports')
    .description(
      "join runs of one matrix (its --shard slices) into one run: one run.json, the cells' artifacts, the reports",
    )
    .argument(
      '<run-dirs...>',
      'run folders (or their run.json files) of the same matrix; no cell in two of them',
    )
    .option('--out <dir>', 'reports root; the merged run is written to <dir>/<run-id>/', 'reports')
    .option(
      '--run-id <id>',
      'name of the merged run folder (default: time-stamped); must not exist or be empty',
    )
    .option(
      '--reporter <names>',
      'reports to write, separated by commas (repeatable; default: all); run.json is always written',
      reporterList,
    )
    .option(
      '--allow-partial',
      'merge shards that are not the whole matrix (one missing, different counts or --filter): the merged run names what is missing and exits with at least 3',
    )
    .addHelpText(
      'after',
      "\nThe merged run's status and exit code are decided from its cells as `run` decides them, and the\ncommand exits with that code (0 every cell as expected, 1 a cell failed unexpectedly, 3 errored or\ninconclusive, 130 interrupted); 2 on bad input (a cell in two runs, runs of different matrices, a\nmissing run.json, a --run-id folder that is not empty) and when the shards are not the whole matrix\n(a shard missing, shards of different counts or cut with different --filter), unless --allow-partial.\n\nExample:\n  upgrade-harness merge-reports shards/shard-1 shards/shard-2 shards/shard-3 --out reports --run-id nightly",
    )
    .action(async (dirs: string[], opts: MergeOpts) => {
      code = await mergeReportsCommand(dirs, opts, { out, err });
    });

  registerBenchReportCommand(program, { out });
  registerGcCommand(
    program,
    processGcDeps({
      out,
      err,
      setExitCode: (c) => {
        code = c;
      },
    }),
  );
  registerDoctorCommand(program, {
    out,
    env: process.env,
    setExitCode: (c) => {
      code = c;
    },
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
