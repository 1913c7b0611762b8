import { appendFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { AbortedError, errorMessage, InfraError, ProductError, UsageError } from '../../common/errors.js';
import { type CommandResult, describeArgv, ExecError, runCommand } from '../../common/exec.js';
import type { PlannedSteps } from '../../common/planned-steps.js';
import { redact } from '../../common/redact.js';
import { cellNamespaceName } from '../../platforms/kube/namespace-labels.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import {
  type Installation,
  installOrDispose,
  type KubeWorkload,
  type Method,
  type MethodOptions,
} from '../method.js';
import {
  checkChartVersions,
  type HelmPlan,
  helmEnv,
  helmPlan,
  historyCommand,
  repoAddCommand,
  rollbackCommand,
  UNINSTALL_TIMEOUT_SECONDS,
  uninstallCommand,
  upgradeCommand,
  versionCommand,
} from './helm-commands.js';
import { collectHelmDiagnostics } from './helm-diagnostics.js';
import { CONTEXT_PLACEHOLDER, planDryRun } from './helm-dry-run.js';
import { describeRevision, type HelmRevision, lastDeployed, parseHistory } from './helm-history.js';
import { hasKubeAccess } from './kube-access.js';

export interface HelmMethodOptions {
  /** The helm executable; default `helm` on PATH. */
  helmPath?: string;
}

/** How long quick commands (version, history, repo add, status) may take. */
const QUICK_COMMAND_MS = 120_000;
const DIAGNOSTICS_COMMAND_MS = 30_000;
const FETCH_HELM_HINT =
  'install helm >= 3.13 (https://helm.sh/docs/intro/install/) or pass its path; in this repository: bash scripts/fetch-helm.sh';

/** What the method ran, for diagnostics (argv redacted when written). */
interface CommandRecord {
  step: string;
  argv: string;
  exitCode: number;
  ms: number;
  error?: string;
}

/**
 * Installs a Helm chart with `helm upgrade --install` at N, upgrades with the same command at N+1
 * and rolls back with `helm rollback` to the revision N was deployed as (read from `helm history`).
 * One release in its own namespace per cell; helm's state lives in the cell's artifact folder.
 */
export class HelmMethod implements Method {
  readonly name = 'helm' as const;
  readonly #helmPath: string;

  constructor(options: HelmMethodOptions = {}) {
    this.#helmPath = options.helmPath ?? 'helm';
  }

  async install(
    platform: StartedPlatform,
    version: string,
    options: MethodOptions,
    ctx: RunContext,
  ): Promise<Installation> {
    const config = options.scenario.helm;
    if (!config)
      throw new UsageError(`scenario ${options.scenario.name} has no "helm" section for the helm method`);
    const access = hasKubeAccess(platform, ctx);
    if (!access) {
      throw new UsageError(
        `the helm method needs a Kubernetes platform (kind, k3d, k3s, or existing with existing.kubernetes): platform ${platform.name} has no kubeconfig`,
      );
    }
    const plan = helmPlan({
      config,
      scenarioName: options.scenario.name,
      scenarioDir: options.scenarioDir,
      runId: ctx.runId,
      cellId: ctx.cellId,
      axes: options.cell.axes,
      namespace: access.namespace,
      createNamespace: !access.platformNamespace,
      ...(access.context === undefined ? {} : { kubeContext: access.context }),
      helmPath: this.#helmPath,
    });
    checkChartVersions(plan, cellVersions(options));
    const stateDir = join(ctx.artifactDir, 'helm');
    const installation = new HelmInstallation(plan, platform, helmEnv(access.kubeconfigPath, stateDir), {
      stateDir,
      logFile: join(ctx.artifactDir, 'logs', 'helm.log'),
    });
    return installOrDispose(installation, (i) => i.install(version, ctx), options.beforeDispose);
  }

  /** The commands a cell would run, for `run --dry-run`; nothing is executed. */
  dryRunCommands(options: MethodOptions, runId: string) {
    const config = options.scenario.helm;
    if (!config)
      throw new UsageError(`scenario ${options.scenario.name} has no "helm" section for the helm method`);
    // The namespace and context the platform would give: an existing cluster's are known ahead.
    const cluster = options.cell.platform === 'existing' ? options.scenario.existing?.kubernetes : undefined;
    return planDryRun({
      config,
      scenarioName: options.scenario.name,
      scenarioDir: options.scenarioDir,
      runId,
      cellId: options.cell.id,
      axes: options.cell.axes,
      helmPath: this.#helmPath,
      path: options.cell.path,
      kubeContext: cluster?.context ?? CONTEXT_PLACEHOLDER,
      ...(cluster
        ? {
            namespace: cellNamespaceName(cluster.namespacePrefix, runId, options.cell.id),
            createNamespace: false,
          }
        : {}),
    });
  }
  plan(options: MethodOptions, runId: string): PlannedSteps {
    const d = this.dryRunCommands(options, runId);
    const steps = (phase: string, commands: string[][]) => commands.map((argv) => ({ phase, argv }));
    return {
      env: d.env,
      steps: [
        ...steps('install', d.install),
        ...steps('upgrade', d.upgrade),
        ...steps('rollback', d.rollback),
        ...steps('teardown', d.teardown),
      ],
    };
  }
}

export class HelmInstallation implements Installation {
  /** The revision each version was last deployed as. */
  readonly #revisions = new Map<string, number>();
  readonly #commands: CommandRecord[] = [];
  #releaseTouched = false;
  #disposed = false;

  constructor(
    readonly plan: HelmPlan,
    private readonly platform: StartedPlatform,
    private readonly env: Record<string, string>,
    private readonly paths: { stateDir: string; logFile: string },
  ) {}

  /** The release's namespace: where the product's pods run. */
  get workload(): KubeWorkload {
    return { namespace: this.plan.namespace };
  }

  /** The platform's way in (a port-forward or an ingress); the chart decides nothing about it. */
  get endpoints(): string[] {
    return this.platform.endpoints();
  }

  /** The revision `version` was deployed as, when it was. */
  revisionOf(version: string): number | undefined {
    return this.#revisions.get(version);
  }

  async install(version: string, ctx: RunContext): Promise<void> {
    await mkdir(join(this.paths.stateDir, 'config'), { recursive: true });
    await mkdir(join(ctx.artifactDir, 'logs'), { recursive: true });
    const helm = await this.#run('version', versionCommand(this.plan), ctx, QUICK_COMMAND_MS);
    const helmVersion = helm.stdout.trim();
    const [, major, minor] = /^v?(\d+)\.(\d+)/.exec(helmVersion) ?? [];
    if (Number(major) < 3 || (Number(major) === 3 && Number(minor) < 13)) {
      throw new UsageError(`helm ${helmVersion} is too old: the helm method needs 3.13 or newer (--labels)`);
    }
    ctx.event('helm', `helm ${helmVersion}; release ${this.plan.release} in ${this.plan.namespace}`);
    const repoAdd = repoAddCommand(this.plan);
    if (repoAdd) {
      await this.#run('repo-add', repoAdd, ctx, QUICK_COMMAND_MS).catch((err: unknown) => {
        if (!(err instanceof ExecError) || ctx.signal.aborted) throw err;
        const { chart } = this.plan;
        const url = chart.kind === 'repo' ? chart.repoUrl : '';
        throw new InfraError(`helm repo add ${url} failed: ${helmMessage(err)}`, { cause: err });
      });
    }
    await this.#deploy('install', version, ctx);
  }

  upgrade(to: string, ctx: RunContext): Promise<void> {
    return this.#deploy('upgrade', to, ctx);
  }

  async rollback(to: string, ctx: RunContext): Promise<void> {
    const revision = this.#revisions.get(to);
    if (revision === undefined) {
      const known = [...this.#revisions.keys()].join(', ') || 'none';
      throw new InfraError(`cannot roll back to ${to}: it was never deployed here (deployed: ${known})`);
    }
    const before = await this.#history(ctx);
    if (!before.some((r) => r.revision === revision)) {
      throw new ProductError(
        `cannot roll back to ${to}: revision ${revision} is no longer in helm history ` +
          `(${before.map((r) => r.revision).join(', ')}; helm keeps --history-max revisions)`,
      );
    }
    try {
      await this.#run('rollback', rollbackCommand(this.plan, revision), ctx, this.#deployBackstopMs());
    } catch (err) {
      throw await this.#failure(`helm rollback to ${to} (revision ${revision})`, err, ctx);
    }
    await this.#recordDeployed('rollback', to, ctx);
  }

  async collectDiagnostics(dir: string): Promise<void> {
    await collectHelmDiagnostics(dir, {
      plan: this.plan,
      env: this.env,
      commands: this.#commands,
      timeoutMs: DIAGNOSTICS_COMMAND_MS,
      logFile: this.paths.logFile,
    });
  }

  /**
   * Uninstalls the release (once; later calls do nothing). The namespace stays for the platform to
   * remove (a kind, k3d or k3s cluster goes as a whole; an existing cluster's namespace is deleted
   * by its platform). Helm's caches go; its config stays for reading.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      if (!this.#releaseTouched) return;
      const argv = uninstallCommand(this.plan);
      const started = performance.now();
      try {
        const result = await runCommand(argv, {
          env: this.env,
          timeoutMs: (UNINSTALL_TIMEOUT_SECONDS + 10) * 1000,
        });
        await this.#record('uninstall', argv, result.exitCode, started, result);
      } catch (err) {
        const result = err instanceof ExecError ? err.result : undefined;
        await this.#record('uninstall', argv, exitCodeOf(err), started, result, err);
        throw new InfraError(
          `helm uninstall ${this.plan.release} in namespace ${this.plan.namespace} failed: ${helmMessage(err)}`,
          { cause: err },
        );
      }
    } finally {
      await rm(join(this.paths.stateDir, 'cache'), { recursive: true, force: true });
    }
  }

  async #deploy(step: 'install' | 'upgrade', version: string, ctx: RunContext): Promise<void> {
    const argv = upgradeCommand(this.plan, version);
    ctx.event('helm', `${step} ${version}: ${describeArgv(argv.slice(1))}`);
    this.#releaseTouched = true;
    try {
      await this.#run(step, argv, ctx, this.#deployBackstopMs());
    } catch (err) {
      throw await this.#failure(`helm ${step} of ${version}`, err, ctx);
    }
    await this.#recordDeployed(step, version, ctx);
  }

  async #recordDeployed(step: string, version: string, ctx: RunContext): Promise<void> {
    const history = await this.#history(ctx);
    const deployed = lastDeployed(history);
    if (!deployed) {
      throw new ProductError(
        `helm ${step} of ${version} returned, but no revision is deployed: ${history.map(describeRevision).join('; ')}`,
      );
    }
    this.#revisions.set(version, deployed.revision);
    ctx.event('helm', `${step} ${version}: ${describeRevision(deployed)}`);
  }

  async #history(ctx: RunContext): Promise<HelmRevision[]> {
    const result = await this.#run('history', historyCommand(this.plan), ctx, QUICK_COMMAND_MS);
    try {
      return parseHistory(result.stdout);
    } catch (err) {
      throw new InfraError(`helm history of ${this.plan.release}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * The error for a helm command that failed: helm's own message as a ProductError (the chart did
   * not roll out), with the history after it on the timeline. Interrupts and harness faults pass.
   */
  async #failure(what: string, err: unknown, ctx: RunContext): Promise<Error> {
    if (!(err instanceof ExecError) || ctx.signal.aborted)
      return err instanceof Error ? err : new Error(String(err));
    if (this.#releaseTouched) {
      await this.#history(ctx).then(
        (history) =>
          ctx.event('helm', `after the failed ${what}: ${history.map(describeRevision).join('; ')}`),
        () => undefined,
      );
    }
    return new ProductError(`${what} failed: ${helmMessage(err)}`, { cause: err });
  }

  async #run(step: string, argv: string[], ctx: RunContext, timeoutMs: number): Promise<CommandResult> {
    const started = performance.now();
    try {
      const result = await runCommand(argv, { env: this.env, signal: ctx.signal, timeoutMs });
      await this.#record(step, argv, result.exitCode, started, result);
      return result;
    } catch (err) {
      await this.#record(
        step,
        argv,
        exitCodeOf(err),
        started,
        err instanceof ExecError ? err.result : undefined,
        err,
      );
      if (err instanceof AbortedError || ctx.signal.aborted) throw err;
      if (err instanceof ExecError && spawnFailed(err)) {
        throw new InfraError(`could not run helm (${this.plan.helmPath}): ${err.message}`, {
          cause: err,
          hint: FETCH_HELM_HINT,
        });
      }
      throw err;
    }
  }

  /**
   * Keeps the command for diagnostics and appends it to logs/helm.log, output redacted: helm prints
   * the chart's NOTES, which may show credentials. (runCommand's own log would keep them raw.)
   */
  async #record(
    step: string,
    argv: string[],
    exitCode: number,
    started: number,
    result: CommandResult | undefined,
    err?: unknown,
  ): Promise<void> {
    const ms = Math.round(performance.now() - started);
    this.#commands.push({
      step,
      argv: describeArgv(argv),
      exitCode,
      ms,
      ...(err === undefined ? {} : { error: redact(helmMessage(err)) }),
    });
    const output = [result?.stdout, result?.stderr].filter(Boolean).map((t) => redact(t!.trimEnd()));
    const lines = [`$ ${describeArgv(argv)}`, ...output, `# exit ${exitCode} after ${ms} ms`];
    await appendFile(this.paths.logFile, `${lines.join('\n')}\n`).catch(() => {});
  }

  /** helm's own --timeout bounds each wait (hooks each get it), so the backstop is generous. */
  #deployBackstopMs(): number {
    return (2 * this.plan.timeoutSeconds + 60) * 1000;
  }
}

/** Every version a cell deploys: from, its stops, to. */
function cellVersions(options: MethodOptions): string[] {
  const { from, via = [], to } = options.cell.path;
  return [from, ...via, to];
}

function exitCodeOf(err: unknown): number {
  return err instanceof ExecError ? (err.result?.exitCode ?? -1) : -1;
}

function spawnFailed(err: ExecError): boolean {
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return code === 'ENOENT' || code === 'EACCES';
}

/** helm's message: the end of its stderr (`Error: UPGRADE FAILED: …`), else the error's. */
function helmMessage(err: unknown): string {
  if (err instanceof ExecError && err.result) {
    const stderr = err.result.stderr.trim();
    if (stderr) return redact(stderr.split('\n').slice(-6).join('\n'));
    if (/timed out after/.test(err.message)) return err.message;
  }
  return errorMessage(err);
}
