import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadMatrix } from '../config/index.js';
import { type DoctorResult, doctorJson, doctorText } from './doctor/doctor-output.js';
import { checkMatrix, checkReadiness } from './doctor/needs.js';
import { probeTools } from './doctor/probe-tools.js';
import { type HostTarget, hostTarget } from './doctor/tools.js';
import { EXIT } from './exit-codes.js';

export interface DoctorCommandDeps {
  /** Prints one line to stdout. */
  out(line: string): void;
  /** The environment the tools are looked up in (its PATH) and run with. */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Receives the exit code: 0 when every matrix given can run here (or none was given), 1 when one
   * needs something missing. A bad matrix file is thrown (ConfigError, exit 2) instead.
   */
  setExitCode(code: number): void;
  /** The harness's folder, where scripts/fetch-helm.sh puts `.tools/helm/helm`; default: this package. */
  repoRoot?: string;
  /** For the release file names in install hints; default: this process's. */
  host?: HostTarget;
  /** Per version command. */
  timeoutMs?: number;
}

/** harness/cli/ in the sources, dist/cli/ once built: the package folder is two levels up either way. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function doctor(files: readonly string[], deps: DoctorCommandDeps): Promise<DoctorResult> {
  // Config errors first: a typo in a file name should not wait for a dozen version commands.
  const plans = [];
  for (const file of files) plans.push({ file, plan: await loadMatrix(file) });
  const tools = await probeTools({
    env: deps.env,
    repoRoot: deps.repoRoot ?? PACKAGE_ROOT,
    host: deps.host ?? hostTarget(process.platform, process.arch),
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
  });
  const matrices = plans.map(({ file, plan }) =>
    checkMatrix({ file, name: plan.matrix.name, cells: plan.cells, scenario: plan.scenario }, tools),
  );
  // 1, as for a cell that failed: the matrix cannot pass here.
  const exitCode = matrices.every((m) => m.canRun) ? EXIT.ok : EXIT.cellsFailed;
  return { tools, readiness: checkReadiness(tools), matrices, exitCode };
}

/**
 * `upgrade-harness doctor [matrices...]`: the external tools this machine has, their versions and
 * paths, how to get the missing ones, and per matrix which cells cannot run here and why.
 */
export function registerDoctorCommand(program: Command, deps: DoctorCommandDeps): Command {
  return program
    .command('doctor')
    .description(
      'which tools this machine has (kind, k3d, helm, kubectl, docker, k6, ssh, chromium, ...) with versions, what each matrix needs, and how to install what is missing',
    )
    .argument('[matrices...]', 'matrix YAML files to check: can their cells run here?')
    .option('--json', 'print the findings as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 every matrix given can run here (or none was given), 1 a matrix needs something\nmissing, 2 a bad matrix file.\n\nExamples:\n  upgrade-harness doctor\n  upgrade-harness doctor matrices/demo.yaml matrices/postgres-minor.yaml --json',
    )
    .action(async (files: string[], opts: { json?: boolean }) => {
      const result = await doctor(files, deps);
      if (opts.json) deps.out(doctorJson(result));
      else for (const line of doctorText(result)) deps.out(line);
      deps.setExitCode(result.exitCode);
    });
}
