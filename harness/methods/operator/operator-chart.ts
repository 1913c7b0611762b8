import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { AbortedError, errorMessage, InfraError, ProductError, UsageError } from '../../common/errors.js';
import { type CommandResult, describeArgv, ExecError, runCommand } from '../../common/exec.js';
import { redact } from '../../common/redact.js';
import { expandTemplate } from '../../common/template.js';
import type { HelmMethodConfig, OperatorChartConfig } from '../../config/types.js';
import {
  helmEnv,
  helmPlan,
  repoAddCommand,
  UNINSTALL_TIMEOUT_SECONDS,
  uninstallCommand,
  upgradeCommand,
  versionCommand,
} from '../helm/helm-commands.js';
import type { KubeConnection } from './operator-kube.js';
import type { TemplateVars } from './operator-resources.js';

/**
 * The operator installed from its Helm chart, with the helm method's command builders: `helm
 * upgrade --install` at an operator version (install, upgrade and rollback alike), `helm
 * uninstall` at teardown. helm's state lives in the cell's artifact folder.
 */

export interface OperatorChartOptions {
  config: OperatorChartConfig;
  scenarioName: string;
  scenarioDir: string;
  runId: string;
  cellId: string;
  axes: Readonly<Record<string, string>>;
  /** The release's namespace. */
  namespace: string;
  /** helm --wait --timeout of each deploy. */
  timeoutSeconds: number;
  helmPath: string;
  kube: KubeConnection;
  /** helm's config and caches. */
  stateDir: string;
  /** Every helm command and its output (redacted) is appended here. */
  logFile: string;
}

/** What was run, for diagnostics. */
export interface ChartCommandRecord {
  step: string;
  argv: string;
  exitCode: number;
  ms: number;
  error?: string;
}

const QUICK_COMMAND_MS = 120_000;

/** Standard Helm label on what a release made (`helm create` charts set it). */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

export class OperatorChart {
  readonly #commands: ChartCommandRecord[] = [];
  readonly #env: Record<string, string>;
  #prepared = false;
  #touched = false;

  constructor(private readonly options: OperatorChartOptions) {
    this.#env = helmEnv(options.kube.kubeconfigPath, options.stateDir);
  }

  get release(): string {
    return this.options.config.release;
  }

  get namespace(): string {
    return this.options.namespace;
  }

  get commands(): readonly ChartCommandRecord[] {
    return this.#commands;
  }

  /** `helm upgrade --install` of the chart at `vars.operatorVersion` (`--kube-context` when the platform names one). */
  deployCommand(vars: TemplateVars): string[] {
    const { config } = this.options;
    const expand = (text: string, field: string) => {
      try {
        return expandTemplate(text, {
          ...vars,
          ...Object.fromEntries(Object.entries(this.options.axes).map(([k, v]) => [`axes.${k}`, v])),
        });
      } catch (err) {
        throw new UsageError(`operator.chart.${field}: ${errorMessage(err)}`);
      }
    };
    const helmConfig: HelmMethodConfig = {
      chart: config.chart,
      ...(config.repo ? { repo: config.repo } : {}),
      release: config.release,
      chartVersion: expand(config.version, 'version'),
      chartVersions: {},
      values: config.values,
      set: Object.fromEntries(Object.entries(config.set).map(([k, v]) => [k, expand(v, `set.${k}`)])),
      timeoutSeconds: this.options.timeoutSeconds,
    };
    const plan = helmPlan({
      config: helmConfig,
      scenarioName: this.options.scenarioName,
      scenarioDir: this.options.scenarioDir,
      runId: this.options.runId,
      cellId: this.options.cellId,
      axes: this.options.axes,
      namespace: this.options.namespace,
      helmPath: this.options.helmPath,
      ...this.#clusterFlags(),
    });
    return upgradeCommand(plan, vars.version);
  }

  uninstallCommand(): string[] {
    return uninstallCommand(this.#plainPlan());
  }

  /** Installs or moves the operator to `vars.operatorVersion`; resolves once helm's --wait did. */
  async deploy(vars: TemplateVars, step: string, ctx: RunContext): Promise<void> {
    const argv = this.deployCommand(vars);
    await this.#prepare(ctx);
    ctx.event('operator', `${step}: ${describeArgv(argv.slice(1))}`);
    this.#touched = true;
    try {
      await this.#run(step, argv, ctx, (2 * this.options.timeoutSeconds + 60) * 1000);
    } catch (err) {
      if (!(err instanceof ExecError) || ctx.signal.aborted) throw err;
      throw new ProductError(
        `helm upgrade --install of the operator chart at ${vars.operatorVersion} failed: ${helmMessage(err)}`,
        { cause: err },
      );
    }
  }

  /** `helm uninstall` of the release, when a deploy was tried. */
  async uninstall(): Promise<void> {
    if (!this.#touched) return;
    this.#touched = false;
    try {
      await this.#run(
        'uninstall',
        this.uninstallCommand(),
        undefined,
        (UNINSTALL_TIMEOUT_SECONDS + 10) * 1000,
      );
    } catch (err) {
      throw new InfraError(
        `helm uninstall of the operator release ${this.release} in ${this.namespace} failed: ${helmMessage(err)}`,
        { cause: err },
      );
    }
  }

  async #prepare(ctx: RunContext): Promise<void> {
    if (this.#prepared) return;
    await mkdir(join(this.options.stateDir, 'config'), { recursive: true });
    await mkdir(dirname(this.options.logFile), { recursive: true });
    const plan = this.#plainPlan();
    const result = await this.#run('version', versionCommand(plan), ctx, QUICK_COMMAND_MS);
    const version = result.stdout.trim();
    const [, major, minor] = /^v?(\d+)\.(\d+)/.exec(version) ?? [];
    if (Number(major) < 3 || (Number(major) === 3 && Number(minor) < 13)) {
      throw new UsageError(
        `helm ${version} is too old: the operator chart needs helm 3.13 or newer (--labels)`,
      );
    }
    const repoAdd = repoAddCommand(plan);
    if (repoAdd) {
      await this.#run('repo-add', repoAdd, ctx, QUICK_COMMAND_MS).catch((err: unknown) => {
        if (!(err instanceof ExecError) || ctx.signal.aborted) throw err;
        throw new InfraError(`helm repo add ${this.options.config.repo ?? ''} failed: ${helmMessage(err)}`, {
          cause: err,
        });
      });
    }
    this.#prepared = true;
  }

  /** A plan for the commands that take no version (uninstall, repo add, version). */
  #plainPlan() {
    const { config } = this.options;
    return helmPlan({
      config: {
        chart: config.chart,
        ...(config.repo ? { repo: config.repo } : {}),
        release: config.release,
        chartVersion: '',
        chartVersions: {},
        values: [],
        set: {},
        timeoutSeconds: this.options.timeoutSeconds,
      },
      scenarioName: this.options.scenarioName,
      scenarioDir: this.options.scenarioDir,
      runId: this.options.runId,
      cellId: this.options.cellId,
      namespace: this.options.namespace,
      helmPath: this.options.helmPath,
      ...this.#clusterFlags(),
    });
  }

  /** The platform's context (helm's --kube-context), the same way the helm method passes it. */
  #clusterFlags(): { kubeContext?: string } {
    const { context } = this.options.kube;
    return context ? { kubeContext: context } : {};
  }

  async #run(
    step: string,
    argv: string[],
    ctx: RunContext | undefined,
    timeoutMs: number,
  ): Promise<CommandResult> {
    const started = performance.now();
    const record = async (exitCode: number, result: CommandResult | undefined, err?: unknown) => {
      const ms = Math.round(performance.now() - started);
      this.#commands.push({
        step,
        argv: describeArgv(argv),
        exitCode,
        ms,
        ...(err === undefined ? {} : { error: redact(helmMessage(err)) }),
      });
      const output = [result?.stdout, result?.stderr]
        .filter((t): t is string => !!t)
        .map((t) => redact(t.trimEnd()));
      const lines = [`$ ${describeArgv(argv)}`, ...output, `# exit ${exitCode} after ${ms} ms`];
      await appendFile(this.options.logFile, `${lines.join('\n')}\n`).catch(() => {});
    };
    try {
      const result = await runCommand(argv, {
        env: this.#env,
        timeoutMs,
        ...(ctx ? { signal: ctx.signal } : {}),
      });
      await record(result.exitCode, result);
      return result;
    } catch (err) {
      const result = err instanceof ExecError ? err.result : undefined;
      await record(result?.exitCode ?? -1, result, err);
      if (err instanceof AbortedError || ctx?.signal.aborted) throw err;
      const code = (err instanceof ExecError ? (err.cause as { code?: unknown } | undefined) : undefined)
        ?.code;
      if (code === 'ENOENT' || code === 'EACCES') {
        throw new InfraError(
          `could not run helm (${this.options.helmPath}) for the operator chart: ${errorMessage(err)}`,
          {
            cause: err,
            hint: 'install helm >= 3.13 (https://helm.sh/docs/intro/install/) or pass its path',
          },
        );
      }
      throw err;
    }
  }
}

/** helm's message: the end of its stderr, else the error's. */
function helmMessage(err: unknown): string {
  if (err instanceof ExecError && err.result) {
    const stderr = err.result.stderr.trim();
    if (stderr) return redact(stderr.split('\n').slice(-6).join('\n'));
  }
  return redact(errorMessage(err));
}
