import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { errorMessage, InfraError, UsageError } from '../../common/errors.js';
import type { PlannedSteps } from '../../common/planned-steps.js';
import { redactDeep } from '../../common/redact.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import { CELL_LABEL, defaultNamespace, labelValue, RUN_LABEL } from '../helm/helm-commands.js';
import { hasKubeAccess } from '../helm/kube-access.js';
import { type Installation, installOrDispose, type Method, type MethodOptions } from '../method.js';
import { apiMessage, OperatorKube } from './operator-kube.js';
import { operatorPlan } from './operator-plan.js';
import {
  describeObject,
  type KubeObject,
  loadObjects,
  loadResource,
  nested,
  type OperatorSpec,
  operatorSpec,
} from './operator-resources.js';
import { waitForResource } from './operator-wait.js';

export interface OperatorMethodOptions {
  /** How often the resource is read while waiting; default 1000 ms. */
  pollIntervalMs?: number;
}

/** A kind not served yet (its CRD was applied a moment ago): retried this long. */
const DISCOVERY_RETRY_MS = 30_000;

/**
 * Installs a product through its operator: applies the operator's manifests and the product's
 * custom resource (server-side apply, `versionField` = N) and waits for the `ready` expressions;
 * upgrades and rolls back by merge-patching `versionField`, failing fast on a `failed` expression.
 */
export class OperatorMethod implements Method {
  readonly name = 'operator' as const;
  readonly #pollIntervalMs: number;

  constructor(options: OperatorMethodOptions = {}) {
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  async install(
    platform: StartedPlatform,
    version: string,
    options: MethodOptions,
    ctx: RunContext,
  ): Promise<Installation> {
    const spec = specOf(options);
    if (!hasKubeAccess(platform)) {
      throw new UsageError(
        `the operator method needs a Kubernetes platform (kind, k3d, existing): platform ${platform.name} has no kubeconfig`,
      );
    }
    const given = platform.namespaceFor?.(ctx.cellId);
    const namespace = given ?? defaultNamespace(ctx.runId, ctx.cellId);
    const kube = new OperatorKube(platform.kubeconfigPath, namespace);
    const installation = new OperatorInstallation(kube, spec, platform, {
      namespace,
      createNamespace: given === undefined,
      intervalMs: this.#pollIntervalMs,
    });
    return installOrDispose(installation, (i) => i.install(version, ctx));
  }

  /** The API calls a cell would make, for `run --dry-run`; nothing is sent. */
  plan(options: MethodOptions, runId: string): PlannedSteps {
    return operatorPlan(specOf(options), options.cell, defaultNamespace(runId, options.cell.id));
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

export interface OperatorInstallationOptions {
  namespace: string;
  /** Whether the method makes the namespace (labelled with the run) and removes it on dispose. */
  createNamespace: boolean;
  intervalMs: number;
}

export class OperatorInstallation implements Installation {
  /** The custom resource as applied (namespace filled in), once it was sent. */
  #resource: KubeObject | undefined;
  #namespaceTouched = false;
  #disposed = false;
  readonly #applied: string[] = [];

  constructor(
    private readonly kube: OperatorKube,
    readonly spec: OperatorSpec,
    private readonly platform: StartedPlatform,
    private readonly options: OperatorInstallationOptions,
  ) {}

  get endpoints(): string[] {
    return this.platform.endpoints();
  }

  get namespace(): string {
    return this.options.namespace;
  }

  async install(version: string, ctx: RunContext): Promise<void> {
    const manifests = this.spec.manifests.map((file) => loadObjects(file, version));
    const resource = loadResource(this.spec, version);
    if (this.options.createNamespace) {
      this.#namespaceTouched = true;
      await this.#apply(namespaceObject(this.namespace, ctx), ctx);
    }
    for (const obj of manifests.flat()) await this.#apply(obj, ctx);
    this.#resource = {
      ...resource,
      metadata: { ...resource.metadata, namespace: resource.metadata.namespace ?? this.namespace },
    };
    const applied = await this.#apply(resource, ctx);
    if (applied.metadata?.namespace) {
      this.#resource.metadata.namespace = applied.metadata.namespace;
    }
    await this.#wait(`install of ${version}`, version, ctx);
  }

  upgrade(to: string, ctx: RunContext): Promise<void> {
    return this.#moveTo('upgrade', to, ctx);
  }

  rollback(to: string, ctx: RunContext): Promise<void> {
    return this.#moveTo('rollback', to, ctx);
  }

  /** Writes `operator-resource.json`: the custom resource with its status, secrets redacted. */
  async collectDiagnostics(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const out: Record<string, unknown> = { namespace: this.namespace, applied: this.#applied };
    if (this.#resource) {
      try {
        const obj = await this.kube.read(this.#resource);
        const { managedFields: _, ...metadata } = (obj.metadata ?? {}) as Record<string, unknown>;
        out.resource = { ...obj, metadata };
      } catch (err) {
        out.error = `${describeObject(this.#resource)}: ${apiMessage(err)}`;
      }
    }
    await writeFile(join(dir, 'operator-resource.json'), `${JSON.stringify(redactDeep(out), null, 2)}\n`);
  }

  /**
   * Deletes the custom resource (already gone is fine) and the namespace the method made; once.
   * The operator's own manifests stay: a kind or k3d cluster goes as a whole.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const problems: string[] = [];
    if (this.#resource) {
      await this.kube.delete(this.#resource).catch((err: unknown) => {
        problems.push(`${describeObject(this.#resource as KubeObject)}: ${apiMessage(err)}`);
      });
    }
    if (this.#namespaceTouched) {
      await this.kube.delete(namespaceRef(this.namespace)).catch((err: unknown) => {
        problems.push(`namespace ${this.namespace}: ${apiMessage(err)}`);
      });
    }
    if (problems.length > 0)
      throw new InfraError(`operator teardown could not delete ${problems.join('; ')}`);
  }

  async #moveTo(step: 'upgrade' | 'rollback', to: string, ctx: RunContext): Promise<void> {
    const resource = this.#resource;
    if (!resource) throw new InfraError(`cannot ${step} to ${to}: the resource was never applied`);
    const patch = nested(this.spec.versionPath, to);
    ctx.event(
      'operator',
      `${step}: PATCH ${describeObject(resource)} ${this.spec.versionPath.join('.')}=${to}`,
    );
    try {
      await this.kube.mergePatch(resource, patch, this.spec.fieldManager);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      throw new InfraError(
        `${step} to ${to}: patching ${describeObject(resource)} failed: ${apiMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    await this.#wait(`${step} to ${to}`, to, ctx);
  }

  async #wait(what: string, version: string, ctx: RunContext): Promise<void> {
    const resource = this.#resource as KubeObject;
    await waitForResource(
      {
        read: () => this.kube.read(resource),
        ready: this.spec.ready,
        failed: this.spec.failed,
        version,
        timeoutMs: this.spec.timeoutSeconds * 1000,
        intervalMs: this.options.intervalMs,
        what,
      },
      ctx,
    );
  }

  /** Server-side apply; a kind whose CRD was just applied may take a moment to be served. */
  async #apply(obj: KubeObject, ctx: RunContext): Promise<KubeObject> {
    const deadline = performance.now() + DISCOVERY_RETRY_MS;
    for (;;) {
      try {
        const applied = await this.kube.apply(obj, this.spec.fieldManager);
        this.#applied.push(describeObject(applied.metadata ? applied : obj));
        ctx.event('operator', `applied ${describeObject(applied.metadata ? applied : obj)}`);
        return applied;
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        const unserved = /Unrecognized API version and kind/.test(errorMessage(err));
        if (unserved && performance.now() < deadline) {
          await new Promise((r) => setTimeout(r, Math.min(this.options.intervalMs, 1000)));
          continue;
        }
        throw new InfraError(`server-side apply of ${describeObject(obj)} failed: ${apiMessage(err)}`, {
          cause: err,
        });
      }
    }
  }
}

function namespaceRef(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

function namespaceObject(name: string, ctx: RunContext): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { [RUN_LABEL]: labelValue(ctx.runId), [CELL_LABEL]: labelValue(name) } },
  };
}
