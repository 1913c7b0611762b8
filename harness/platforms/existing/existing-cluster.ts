import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Namespace } from '@kubernetes/client-node';
import type { RunContext } from '../../common/context.js';
import { InfraError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { apiCode, apiErrorText, NamespaceClient } from '../kube/namespace-client.js';
import { cellNamespaceMeta, cellNamespaceName } from '../kube/namespace-labels.js';
import type { KubeTarget, StartedPlatform } from '../platform.js';
import type { LoadedKubeconfig } from './kubeconfig.js';

/** What the existing platform was built with, resolved. */
export interface ExistingClusterSettings {
  host: string;
  pid: number;
  /** Recorded on the namespace so `gc` can tell a reused pid or a look-alike host (process-identity.ts). */
  bootId?: string;
  pidStart?: string;
  requestTimeoutMs: number;
  pollIntervalMs: number;
}

export interface ExistingClusterInit {
  id: string;
  kubeconfig: LoadedKubeconfig;
  namespace: string;
  createdAt: string;
  endpoints: string[];
  deleteTimeoutMs: number;
  logger: Logger;
  settings: ExistingClusterSettings;
}

export const GC_HINT =
  'upgrade-harness gc --yes (with --kubeconfig/--context) deletes the namespaces of runs that are gone';

/**
 * A namespace of an existing cluster, set aside for one cell. Disposing deletes it and waits
 * until it is gone (also after a failed phase); a second dispose does nothing and never throws.
 */
export class StartedExistingCluster implements StartedPlatform {
  readonly name = 'existing' as const;
  readonly id: string;
  readonly namespace: string;
  readonly #init: ExistingClusterInit;
  #disposing: Promise<void> | undefined;

  constructor(init: ExistingClusterInit) {
    this.#init = init;
    this.id = init.id;
    this.namespace = init.namespace;
  }

  kube(): KubeTarget {
    const { path, context } = this.#init.kubeconfig;
    return { kubeconfigPath: path, context, namespace: this.namespace };
  }

  endpoints(): string[] {
    return [...this.#init.endpoints];
  }

  /** Names only: the context, the API server's host and the namespace; never the kubeconfig's contents. */
  async collectDiagnostics(dir: string): Promise<void> {
    const { kubeconfig, createdAt } = this.#init;
    let phase: string;
    try {
      const ns = await this.#client().read(this.namespace);
      phase = ns?.status?.phase ?? 'gone';
    } catch (err) {
      phase = `unknown (${apiErrorText(err)})`;
    }
    const summary = {
      platform: 'existing',
      kubeconfig: kubeconfig.path,
      context: kubeconfig.context,
      server: kubeconfig.serverHost,
      namespace: this.namespace,
      namespacePhase: phase,
      createdAt,
    };
    await writeFile(join(dir, 'existing-cluster.json'), `${JSON.stringify(summary, null, 2)}\n`);
  }

  [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposing) return this.#disposing.catch(() => undefined);
    this.#disposing = this.#dispose();
    return this.#disposing;
  }

  #client(): NamespaceClient {
    return new NamespaceClient(this.#init.kubeconfig.kc, {
      requestTimeoutMs: this.#init.settings.requestTimeoutMs,
    });
  }

  async #dispose(): Promise<void> {
    const { logger, deleteTimeoutMs, kubeconfig, settings } = this.#init;
    const client = this.#client();
    const started = performance.now();
    let left: { phase: string; why: string } | undefined;
    try {
      await client.delete(this.namespace);
      const remaining = Math.max(0, deleteTimeoutMs - (performance.now() - started));
      left = await client.waitGone(this.namespace, remaining, settings.pollIntervalMs);
    } catch (err) {
      left = { phase: 'unknown', why: apiErrorText(err) };
    }
    if (left === undefined) {
      logger.info({ namespace: this.namespace, context: kubeconfig.context }, 'namespace deleted');
      return;
    }
    const why = left.why ? `: ${left.why}` : '';
    logger.error({ namespace: this.namespace, phase: left.phase, why: left.why }, 'namespace not deleted');
    throw new InfraError(
      `namespace ${this.namespace} (context ${kubeconfig.context}) was not deleted within ${Math.round(deleteTimeoutMs / 1000)} s (phase ${left.phase})${why}`,
      { hint: GC_HINT },
    );
  }
}

/**
 * Creates the cell's namespace `<prefix>-<hash>` on the cluster, labelled and annotated so that
 * `gc` can tell whose it is. Nothing is created when it fails.
 */
export async function createExistingCluster(
  input: {
    kubeconfig: LoadedKubeconfig;
    namespacePrefix: string;
    deleteTimeoutSeconds: number;
    endpoints: string[];
    settings: ExistingClusterSettings;
  },
  ctx: RunContext,
): Promise<StartedExistingCluster> {
  const { kubeconfig, settings } = input;
  const namespace = cellNamespaceName(input.namespacePrefix, ctx.runId, ctx.cellId);
  const createdAt = new Date(ctx.clock.now()).toISOString();
  const meta = cellNamespaceMeta({
    runId: ctx.runId,
    cellId: ctx.cellId,
    host: settings.host,
    pid: settings.pid,
    createdAt,
    ...(settings.bootId ? { bootId: settings.bootId } : {}),
    ...(settings.pidStart ? { pidStart: settings.pidStart } : {}),
  });
  const body: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, ...meta } };
  const client = new NamespaceClient(kubeconfig.kc, {
    requestTimeoutMs: settings.requestTimeoutMs,
    signal: ctx.signal,
  });
  const where = `context ${kubeconfig.context} (${kubeconfig.serverHost})`;
  try {
    await client.create(body);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    throw creationFailure(err, namespace, where);
  }
  ctx.logger.info(
    { namespace, context: kubeconfig.context, server: kubeconfig.serverHost },
    'namespace created',
  );
  ctx.event('namespace', `namespace ${namespace} created on ${where}`);
  return new StartedExistingCluster({
    id: `${ctx.runId}/${ctx.cellId}`,
    kubeconfig,
    namespace,
    createdAt,
    endpoints: input.endpoints,
    deleteTimeoutMs: input.deleteTimeoutSeconds * 1000,
    logger: ctx.logger,
    settings,
  });
}

function creationFailure(err: unknown, namespace: string, where: string): InfraError {
  const code = apiCode(err);
  const text = apiErrorText(err);
  if (code === 409) {
    return new InfraError(`namespace ${namespace} already exists on ${where}: ${text}`, {
      cause: err,
      hint: `a run with the same run id left it behind; ${GC_HINT}`,
    });
  }
  if (code === 401 || code === 403) {
    return new InfraError(`not allowed to create namespace ${namespace} on ${where}: ${text}`, {
      cause: err,
      hint: 'the existing platform needs a user that may create, read and delete namespaces',
    });
  }
  if (code === undefined) {
    return new InfraError(`cannot reach the API server of ${where}: ${text}`, {
      cause: err,
      hint: 'check the kubeconfig and the network (kubectl --context <name> get namespaces)',
    });
  }
  return new InfraError(`creating namespace ${namespace} on ${where} failed: ${text}`, {
    cause: err,
  });
}
