import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../../common/errors.js';
import { expandTemplate } from '../../common/template.js';
import type { HelmMethodConfig } from '../../config/types.js';

/**
 * The argv of every helm command the method runs, built from the scenario's `helm` section and
 * nothing else, so that `run --dry-run`, the tests and the method itself see the same commands.
 */

/** Where the chart comes from. A `path` chart is absolute; helm ignores `--version` for it. */
export type HelmChart =
  | { kind: 'repo'; ref: string; repoName: string; repoUrl: string }
  | { kind: 'oci'; ref: string }
  | { kind: 'path'; ref: string };

export interface HelmPlanInput {
  config: HelmMethodConfig;
  /** The release defaults to it. */
  scenarioName: string;
  /** Relative chart paths and values files resolve here. */
  scenarioDir: string;
  runId: string;
  cellId: string;
  /** The cell's axes: `{{axes.<name>}}` in `set` and `chartVersion`. */
  axes?: Readonly<Record<string, string>>;
  /** When the platform gives one; otherwise `uh-<hash of run and cell>`. */
  namespace?: string;
  /** The platform's namespace exists already and is the platform's to delete: no `--create-namespace`. Default true. */
  createNamespace?: boolean;
  /** The kubeconfig context (`--kube-context`); undefined: the kubeconfig's current-context. */
  kubeContext?: string;
  /** The helm executable (default `helm`, found on PATH). */
  helmPath?: string;
}

export interface HelmPlan {
  readonly helmPath: string;
  readonly release: string;
  readonly namespace: string;
  /** Whether `helm upgrade --install` gets `--create-namespace` (false: the platform made it). */
  readonly createNamespace: boolean;
  readonly kubeContext: string | undefined;
  readonly chart: HelmChart;
  /** Absolute, in the scenario's order (later files win, as with helm). */
  readonly valuesFiles: readonly string[];
  /** Release labels (`--labels`): the run id, so `gc` can tell whose release it is. */
  readonly labels: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly chartVersion: string;
  /** Product version → chart version; when not empty, every version must have an entry. */
  readonly chartVersions: Readonly<Record<string, string>>;
  readonly set: Readonly<Record<string, string>>;
  readonly axes: Readonly<Record<string, string>>;
}

export const RUN_LABEL = 'upgrade-harness.run';
export const CELL_LABEL = 'upgrade-harness.cell';
export const NAMESPACE_PREFIX = 'uh-';
/** Within the cell runner's 60 s bound on each teardown step (cell-runner.ts TEARDOWN_STEP_MS), with room to spare. */
export const UNINSTALL_TIMEOUT_SECONDS = 45;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** `uh-<12 hex>`: one namespace per run and cell, a valid DNS label whoever names the cell. */
export function defaultNamespace(runId: string, cellId: string): string {
  return `${NAMESPACE_PREFIX}${shortHash(`${runId}\0${cellId}`)}`;
}

/** A Kubernetes label value: at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends. */
export function labelValue(text: string): string {
  return text
    .replace(/[^\w.-]/g, '-')
    .slice(0, 63)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/gi, '');
}

export function resolveChart(config: HelmMethodConfig, scenarioDir: string): HelmChart {
  const { chart, repo } = config;
  if (chart.startsWith('oci://')) {
    if (repo) throw new UsageError(`helm.chart ${chart} is an OCI reference: drop helm.repo (${repo})`);
    return { kind: 'oci', ref: chart };
  }
  if (repo) {
    const slash = chart.indexOf('/');
    const repoName = slash > 0 ? chart.slice(0, slash) : 'chart-repo';
    const name = slash > 0 ? chart.slice(slash + 1) : chart;
    if (!name || name.includes('/') || !/^[\w.-]+$/.test(repoName)) {
      throw new UsageError(`helm.chart "${chart}" with helm.repo must be "<repo>/<chart>" or "<chart>"`);
    }
    return { kind: 'repo', ref: `${repoName}/${name}`, repoName, repoUrl: repo };
  }
  return { kind: 'path', ref: isAbsolute(chart) ? chart : resolve(scenarioDir, chart) };
}

export function helmPlan(input: HelmPlanInput): HelmPlan {
  const { config } = input;
  const namespace = input.namespace ?? defaultNamespace(input.runId, input.cellId);
  return {
    helmPath: input.helmPath ?? 'helm',
    release: config.release ?? input.scenarioName,
    namespace,
    createNamespace: input.createNamespace ?? true,
    kubeContext: input.kubeContext,
    chart: resolveChart(config, input.scenarioDir),
    valuesFiles: config.values.map((f) => (isAbsolute(f) ? f : resolve(input.scenarioDir, f))),
    labels: { [RUN_LABEL]: labelValue(input.runId), [CELL_LABEL]: labelValue(namespace) },
    timeoutSeconds: config.timeoutSeconds,
    chartVersion: config.chartVersion,
    chartVersions: config.chartVersions,
    set: config.set,
    axes: input.axes ?? {},
  };
}

function vars(plan: HelmPlan, version: string): Record<string, string> {
  return {
    version,
    ...Object.fromEntries(Object.entries(plan.axes).map(([k, v]) => [`axes.${k}`, v])),
  };
}

function expand(text: string, what: string, plan: HelmPlan, version: string): string {
  try {
    return expandTemplate(text, vars(plan, version));
  } catch (err) {
    throw new UsageError(`helm.${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The chart version helm gets for a product version: its `helm.chartVersions` entry, else
 * `helm.chartVersion` expanded. With chartVersions set, a version without an entry is a UsageError.
 */
export function chartVersionFor(plan: HelmPlan, version: string): string {
  const keys = Object.keys(plan.chartVersions);
  if (keys.length === 0) return expand(plan.chartVersion, 'chartVersion', plan, version);
  const mapped = plan.chartVersions[version];
  if (mapped !== undefined) return mapped;
  throw new UsageError(
    `helm.chartVersions has no entry for version ${version} (keys: ${keys.join(', ')})`,
    `add "${version}": <chart version> under helm.chartVersions in the scenario`,
  );
}

/** Fails before anything runs when a version the cell deploys has no chart version (a chart on disk has none). */
export function checkChartVersions(plan: HelmPlan, versions: readonly string[]): void {
  if (plan.chart.kind === 'path') return;
  for (const version of versions) chartVersionFor(plan, version);
}

/** `--kube-context <name>` when the platform names a context. */
function contextArgs(plan: HelmPlan): string[] {
  return plan.kubeContext === undefined ? [] : ['--kube-context', plan.kubeContext];
}

/** `--version`, unless the chart is a local path (helm ignores it there). */
function versionArgs(plan: HelmPlan, version: string): string[] {
  return plan.chart.kind === 'path' ? [] : ['--version', chartVersionFor(plan, version)];
}

/** `-f <file>` per values file in order, then `--set k=v` per entry with `{{version}}` expanded. */
export function valuesArgs(plan: HelmPlan, version: string): string[] {
  const args: string[] = [];
  for (const file of plan.valuesFiles) args.push('-f', file);
  for (const [key, value] of Object.entries(plan.set)) {
    args.push('--set', `${key}=${expand(value, `set.${key}`, plan, version)}`);
  }
  return args;
}

const timeout = (seconds: number) => ['--timeout', `${seconds}s`];

export function versionCommand(plan: HelmPlan): string[] {
  return [plan.helmPath, 'version', '--short'];
}

/** Only for a repo chart; into the isolated HELM_REPOSITORY_CONFIG. */
export function repoAddCommand(plan: HelmPlan): string[] | undefined {
  const { chart } = plan;
  if (chart.kind !== 'repo') return undefined;
  return [plan.helmPath, 'repo', 'add', chart.repoName, chart.repoUrl, '--force-update'];
}

/** Install at N and upgrade to N+1 are the same command, as a user runs it. */
export function upgradeCommand(plan: HelmPlan, version: string): string[] {
  const labels = Object.entries(plan.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [
    plan.helmPath,
    'upgrade',
    '--install',
    plan.release,
    plan.chart.ref,
    ...versionArgs(plan, version),
    '--namespace',
    plan.namespace,
    ...contextArgs(plan),
    ...(plan.createNamespace ? ['--create-namespace'] : []),
    '--labels',
    labels,
    ...valuesArgs(plan, version),
    '--wait',
    ...timeout(plan.timeoutSeconds),
  ];
}

export function rollbackCommand(plan: HelmPlan, revision: number | string): string[] {
  return [
    plan.helmPath,
    'rollback',
    plan.release,
    String(revision),
    '--namespace',
    plan.namespace,
    ...contextArgs(plan),
    '--wait',
    ...timeout(plan.timeoutSeconds),
  ];
}

export function historyCommand(plan: HelmPlan): string[] {
  return [
    plan.helmPath,
    'history',
    plan.release,
    '--namespace',
    plan.namespace,
    ...contextArgs(plan),
    '--output',
    'json',
  ];
}

export function statusCommand(plan: HelmPlan): string[] {
  return [
    plan.helmPath,
    'status',
    plan.release,
    '--namespace',
    plan.namespace,
    ...contextArgs(plan),
    '--output',
    'json',
  ];
}

export function getValuesCommand(plan: HelmPlan): string[] {
  return [
    plan.helmPath,
    'get',
    'values',
    plan.release,
    '--all',
    '--namespace',
    plan.namespace,
    ...contextArgs(plan),
    '--output',
    'json',
  ];
}

export function uninstallCommand(plan: HelmPlan): string[] {
  return [
    plan.helmPath,
    'uninstall',
    plan.release,
    '--namespace',
    plan.namespace,
    ...contextArgs(plan),
    '--wait',
    ...timeout(UNINSTALL_TIMEOUT_SECONDS),
    '--ignore-not-found',
  ];
}

/** `helm template`: what the install would apply, rendered offline (same chart, version and values). */
export function templateCommand(plan: HelmPlan, version: string): string[] {
  return [
    plan.helmPath,
    'template',
    plan.release,
    plan.chart.ref,
    ...versionArgs(plan, version),
    '--namespace',
    plan.namespace,
    ...valuesArgs(plan, version),
  ];
}

/** `helm lint` with the scenario's values; helm lints local charts only. */
export function lintCommand(plan: HelmPlan, version: string): string[] {
  if (plan.chart.kind !== 'path') {
    throw new UsageError(`helm lint needs a chart on disk; ${plan.chart.ref} is a ${plan.chart.kind} chart`);
  }
  return [plan.helmPath, 'lint', plan.chart.ref, '--namespace', plan.namespace, ...valuesArgs(plan, version)];
}

/**
 * The environment of every helm command: the platform's kubeconfig and helm's own state (repos,
 * caches, registry logins) inside `stateDir`, so cells and the user's own helm never share it.
 */
export function helmEnv(kubeconfigPath: string, stateDir: string): Record<string, string> {
  const config = join(stateDir, 'config');
  const cache = join(stateDir, 'cache');
  return {
    KUBECONFIG: kubeconfigPath,
    HELM_KUBECONTEXT: '',
    HELM_CONFIG_HOME: config,
    HELM_CACHE_HOME: cache,
    HELM_DATA_HOME: join(stateDir, 'data'),
    HELM_REPOSITORY_CONFIG: join(config, 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: join(cache, 'repository'),
    HELM_REGISTRY_CONFIG: join(config, 'registry', 'config.json'),
  };
}
