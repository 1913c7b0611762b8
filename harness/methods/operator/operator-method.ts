import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { UsageError } from '../../common/errors.js';
import type { PlannedSteps } from '../../common/planned-steps.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import { defaultNamespace } from '../helm/helm-commands.js';
import { hasKubeAccess } from '../helm/kube-access.js';
import { installOrDispose, type Method, type MethodOptions } from '../method.js';
import { OperatorChart } from './operator-chart.js';
import { OperatorInstallation } from './operator-installation.js';
import { OperatorKube } from './operator-kube.js';
import { operatorPlan } from './operator-plan.js';
import {
  type OperatorSpec,
  operatorSpec,
  operatorVersionFor,
  versionValueFor,
} from './operator-resources.js';

export { OperatorInstallation } from './operator-installation.js';

export interface OperatorMethodOptions {
  /** How often the resource is read when watching it does not work; default 1000 ms. */
  pollIntervalMs?: number;
  /** How often it is re-read while a watch runs (in case the watch stalls); default 10 000 ms. */
  resyncIntervalMs?: number;
  /** The helm executable, for an operator from its chart; default `helm` on PATH. */
  helmPath?: string;
  /** Fetches a manifest URL; default: undici, 30 s, 5 MB (tests pass nothing: they serve on 127.0.0.1). */
  fetch?: (url: string, signal: AbortSignal) => Promise<string>;
}

/**
 * Installs a product through its operator: installs the operator (its manifests with server-side
 * apply, or its chart with helm) at the operator version for N, applies the product's custom
 * resource (`versionField` = N) and waits (watching it) for the `ready` expressions. An upgrade
 * patches `versionField`, re-installs the operator at N+1's operator version, or both (operator
 * first); a rollback undoes them in the opposite order. A `failed` expression fails at once.
 */
export class OperatorMethod implements Method {
  readonly name = 'operator' as const;

  constructor(private readonly options: OperatorMethodOptions = {}) {}

  async install(
    platform: StartedPlatform,
    version: string,
    options: MethodOptions,
    ctx: RunContext,
  ): Promise<OperatorInstallation> {
    const spec = specOf(options);
    const access = hasKubeAccess(platform, ctx);
    if (!access) {
      throw new UsageError(
        `the operator method needs a Kubernetes platform (kind, k3d, k3s, existing with kubernetes): platform ${platform.name} has no cluster`,
      );
    }
    // Every operator version the cell will need, before anything is sent.
    const { from, to, via = [] } = options.cell.path;
    const moves = spec.upgrade === 'resource' ? [] : [from, ...via, to];
    for (const v of new Set([version, ...moves])) operatorVersionFor(spec, v);
    // And what the version field says at each version of the path.
    for (const v of new Set([version, from, ...via, to])) versionValueFor(spec, v);
    const { namespace } = access;
    const connection = {
      kubeconfigPath: access.kubeconfigPath,
      ...(access.context ? { context: access.context } : {}),
    };
    const kube = new OperatorKube(connection, namespace);
    const chart = spec.chart
      ? new OperatorChart({
          config: spec.chart,
          scenarioName: options.scenario.name,
          scenarioDir: options.scenarioDir,
          runId: ctx.runId,
          cellId: ctx.cellId,
          axes: options.cell.axes,
          namespace: spec.chartNamespace ?? namespace,
          timeoutSeconds: spec.timeoutSeconds,
          helmPath: this.options.helmPath ?? 'helm',
          kube: connection,
          stateDir: join(ctx.artifactDir, 'operator-helm'),
          logFile: join(ctx.artifactDir, 'logs', 'operator-helm.log'),
        })
      : undefined;
    const installation = new OperatorInstallation(kube, spec, platform, {
      namespace,
      createNamespace: !access.platformNamespace,
      pollMs: this.options.pollIntervalMs ?? 1000,
      resyncMs: this.options.resyncIntervalMs ?? 10_000,
      ...(chart ? { chart } : {}),
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    });
    return installOrDispose(installation, (i) => i.install(version, ctx), options.beforeDispose);
  }

  /** The API calls a cell would make, for `run --dry-run`; nothing is sent. */
  plan(options: MethodOptions, runId: string): PlannedSteps {
    return operatorPlan(specOf(options), options.cell, defaultNamespace(runId, options.cell.id), {
      runId,
      scenarioName: options.scenario.name,
      scenarioDir: options.scenarioDir,
      helmPath: this.options.helmPath ?? 'helm',
    });
  }
}

function specOf(options: MethodOptions): OperatorSpec {
  const config = options.scenario.operator;
  if (!config) {
    throw new UsageError(
      `scenario ${options.scenario.name} has no "operator" section for the operator method`,
    );
  }
  return operatorSpec(config, options.scenarioDir);
}
