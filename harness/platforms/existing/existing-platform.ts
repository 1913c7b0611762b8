import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { UsageError } from '../../common/errors.js';
import type { PlannedSteps } from '../../common/planned-steps.js';
import { bootId, processStart } from '../../common/process-identity.js';
import { redact } from '../../common/redact.js';
import type { ExistingClusterConfig, ScenarioConfig } from '../../config/types.js';
import { cellNamespaceName, MANAGED_SELECTOR, RUN_LABEL, toLabelValue } from '../kube/namespace-labels.js';
import type { Platform, PlatformCreateOptions, StartedPlatform } from '../platform.js';
import {
  createExistingCluster,
  type ExistingClusterSettings,
  type StartedExistingCluster,
} from './existing-cluster.js';
import { loadKubeconfig } from './kubeconfig.js';

/** Something already running that the harness does not create or destroy: it only sends traffic to its URLs. */
export class StartedExistingPlatform implements StartedPlatform {
  readonly name = 'existing' as const;

  constructor(
    readonly id: string,
    readonly urls: string[],
  ) {}

  endpoints(): string[] {
    return this.urls;
  }

  async collectDiagnostics(dir: string): Promise<void> {
    await writeFile(
      join(dir, 'existing-target.json'),
      `${redact(JSON.stringify({ urls: this.urls }, null, 2))}\n`,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // Nothing to remove: the harness created nothing here.
  }
}

export interface ExistingPlatformOptions {
  /** The kubeconfig when the scenario names none: the CLI passes `$KUBECONFIG` or `~/.kube/config`. */
  defaultKubeconfig?: string;
  /** Recorded on each namespace so `gc` can tell whether the owning run is alive. */
  host?: string;
  pid?: number;
  /** Deadline of each API request; default 15 s. */
  requestTimeoutMs?: number;
  /** How often dispose looks whether the namespace is gone; default 500 ms. */
  pollIntervalMs?: number;
}

const FIELDS = { kubeconfig: 'existing.kubernetes.kubeconfig', context: 'existing.kubernetes.context' };

/**
 * Either URLs of a product that already runs (exec method), or, with `existing.kubernetes`, an
 * existing cluster where each cell gets its own labelled namespace, deleted after the cell.
 */
export class ExistingPlatform implements Platform {
  readonly name = 'existing' as const;
  readonly #defaultKubeconfig: string | undefined;
  readonly #settings: ExistingClusterSettings;

  constructor(options: ExistingPlatformOptions = {}) {
    this.#defaultKubeconfig = options.defaultKubeconfig;
    this.#settings = {
      host: options.host ?? hostname(),
      pid: options.pid ?? process.pid,
      ...identityOf(options.pid ?? process.pid),
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      pollIntervalMs: options.pollIntervalMs ?? 500,
    };
  }

  async create(
    options: PlatformCreateOptions,
    ctx: RunContext,
  ): Promise<StartedExistingPlatform | StartedExistingCluster> {
    const { scenario } = options;
    const cluster = scenario.existing?.kubernetes;
    const urls = (scenario.existing?.urls ?? []).map((u) => u.replace(/\/+$/, ''));
    if (cluster) {
      const path = this.#kubeconfigPath(cluster, options.scenarioDir);
      if (!path) {
        throw new UsageError(
          'the existing platform has no kubeconfig: the scenario sets no existing.kubernetes.kubeconfig and none was passed in',
          `set ${FIELDS.kubeconfig} (relative to the scenario file) or KUBECONFIG`,
        );
      }
      const kubeconfig = loadKubeconfig(path, cluster.context, FIELDS);
      return createExistingCluster(
        {
          kubeconfig,
          namespacePrefix: cluster.namespacePrefix,
          deleteTimeoutSeconds: cluster.deleteTimeoutSeconds,
          endpoints: urls.length > 0 ? urls : ingressUrls(scenario),
          settings: this.#settings,
        },
        ctx,
      );
    }
    if (urls.length === 0) {
      throw new UsageError(
        `scenario ${scenario.name}: the existing platform needs existing.urls (a running product) or existing.kubernetes (a cluster)`,
      );
    }
    ctx.logger.info({ urls: urls.map(redact) }, 'existing target');
    return new StartedExistingPlatform(`${ctx.runId}/${ctx.cellId}`, urls);
  }

  /** For an existing cluster: the namespace it would create and delete; nothing is sent. */
  plan(options: PlatformCreateOptions, runId: string): PlannedSteps {
    const cluster = options.scenario.existing?.kubernetes;
    if (!cluster) {
      const urls = options.scenario.existing?.urls ?? [];
      return {
        steps: [{ phase: 'provision', note: `sends traffic to ${urls.join(', ')}; creates nothing` }],
      };
    }
    const namespace = cellNamespaceName(cluster.namespacePrefix, runId, options.cell.id);
    const kubeconfig =
      this.#kubeconfigPath(cluster, options.scenarioDir) ?? '<$KUBECONFIG or ~/.kube/config>';
    const context = cluster.context ?? 'its current-context';
    return {
      steps: [
        { phase: 'provision', note: `kubeconfig ${kubeconfig}, context ${context}` },
        {
          phase: 'provision',
          api: `POST v1 namespaces ${namespace} (labels ${MANAGED_SELECTOR}, ${RUN_LABEL}=${toLabelValue(runId)}, …)`,
        },
        {
          phase: 'teardown',
          api: `DELETE v1 namespaces/${namespace}, then GET until 404 (at most ${cluster.deleteTimeoutSeconds} s)`,
        },
      ],
    };
  }

  /** The scenario's kubeconfig (relative to it), else the one passed in; undefined when neither. */
  #kubeconfigPath(cluster: ExistingClusterConfig, scenarioDir: string): string | undefined {
    if (!cluster.kubeconfig) return this.#defaultKubeconfig;
    return isAbsolute(cluster.kubeconfig) ? cluster.kubeconfig : resolve(scenarioDir, cluster.kubeconfig);
  }
}

/** The ingress URL when the scenario sends traffic through one. */
function ingressUrls(scenario: ScenarioConfig): string[] {
  const access = scenario.kubernetes?.access;
  return access?.mode === 'ingress' && access.url ? [access.url.replace(/\/+$/, '')] : [];
}

/** This machine's boot id and the owning process's start time, recorded so `gc` can tell a reused pid. */
function identityOf(pid: number): { bootId?: string; pidStart?: string } {
  const boot = bootId();
  const start = processStart(pid);
  return { ...(boot ? { bootId: boot } : {}), ...(start ? { pidStart: start } : {}) };
}
