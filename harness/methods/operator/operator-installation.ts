import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { InfraError } from '../../common/errors.js';
import { redactDeep } from '../../common/redact.js';
import { apiErrorText } from '../../platforms/kube/api-errors.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import { CELL_LABEL, labelValue, RUN_LABEL } from '../helm/helm-commands.js';
import type { Installation, KubeWorkload } from '../method.js';
import type { OperatorChart } from './operator-chart.js';
import { type ApplyOptions, applyObject, OperatorInstaller } from './operator-install.js';
import type { OperatorKube } from './operator-kube.js';
import {
  describeObject,
  type KubeObject,
  loadResource,
  nested,
  type OperatorSpec,
  templateVars,
  versionValueFor,
} from './operator-resources.js';
import { waitForResource } from './operator-wait.js';

export interface OperatorInstallationOptions {
  namespace: string;
  /** Whether the method makes the namespace (labelled with the run) and removes it on dispose. */
  createNamespace: boolean;
  /** How often the resource is read when watching it does not work. */
  pollMs: number;
  /** How often it is re-read while a watch runs. */
  resyncMs: number;
  chart?: OperatorChart;
  fetch?: (url: string, signal: AbortSignal) => Promise<string>;
}

type Step = 'upgrade' | 'rollback';

export class OperatorInstallation implements Installation {
  /** The custom resource as applied (namespace filled in), once it was sent. */
  #resource: KubeObject | undefined;
  #namespaceTouched = false;
  #disposed = false;
  readonly #applied: string[] = [];
  readonly #operator: OperatorInstaller;
  readonly #apply: ApplyOptions;

  constructor(
    private readonly kube: OperatorKube,
    readonly spec: OperatorSpec,
    private readonly platform: StartedPlatform,
    private readonly options: OperatorInstallationOptions,
  ) {
    this.#apply = {
      kube,
      fieldManager: spec.fieldManager,
      retryMs: options.pollMs,
      onApplied: (d) => this.#applied.push(d),
    };
    this.#operator = new OperatorInstaller({
      ...this.#apply,
      spec,
      namespace: options.namespace,
      ...(options.chart ? { chart: options.chart } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  get endpoints(): string[] {
    return this.platform.endpoints();
  }

  get namespace(): string {
    return this.options.namespace;
  }

  /** Where the product runs: the custom resource's namespace. */
  get workload(): KubeWorkload {
    const namespace = this.#resource?.metadata.namespace ?? this.namespace;
    const resource = this.#resource;
    const ref =
      resource?.apiVersion && resource.kind && resource.metadata.name
        ? [{ apiVersion: resource.apiVersion, kind: resource.kind, name: resource.metadata.name, namespace }]
        : [];
    return { namespace, resources: ref };
  }

  /** The operator version last applied (undefined when the scenario gives no operator). */
  get operatorVersion(): string | undefined {
    return this.#operator.version;
  }

  async install(version: string, ctx: RunContext): Promise<void> {
    const vars = templateVars(this.spec, version);
    const resource = loadResource(this.spec, vars);
    // Read (and fetch) the manifests before anything is sent: a bad file or URL changes nothing.
    await this.#operator.objects(vars, ctx);
    if (this.options.createNamespace) {
      this.#namespaceTouched = true;
      await applyObject(namespaceObject(this.namespace, ctx), this.#apply, ctx);
    }
    await this.#operator.apply(vars, 'install', ctx);
    this.#resource = {
      ...resource,
      metadata: { ...resource.metadata, namespace: resource.metadata.namespace ?? this.namespace },
    };
    const applied = await applyObject(resource, this.#apply, ctx);
    if (applied.metadata?.namespace) this.#resource.metadata.namespace = applied.metadata.namespace;
    await this.#wait(`install of ${version}`, version, ctx);
  }

  /** `resource`: patch the field; `operator`: re-install the operator; `both`: operator, then field. */
  async upgrade(to: string, ctx: RunContext): Promise<void> {
    const mode = this.spec.upgrade;
    if (mode !== 'resource') await this.#moveOperator('upgrade', to, ctx);
    if (mode !== 'operator') await this.#patch('upgrade', to, ctx);
    await this.#wait(`upgrade to ${to}`, to, ctx);
  }

  /** The upgrade's steps undone in the opposite order: field back first, then the operator. */
  async rollback(to: string, ctx: RunContext): Promise<void> {
    const mode = this.spec.upgrade;
    if (mode !== 'operator') await this.#patch('rollback', to, ctx);
    if (mode !== 'resource') await this.#moveOperator('rollback', to, ctx);
    await this.#wait(`rollback to ${to}`, to, ctx);
  }

  /** Writes `operator-resource.json`: the custom resource with its status and the operator's Deployments, secrets redacted. */
  async collectDiagnostics(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const out: Record<string, unknown> = { namespace: this.namespace, applied: this.#applied };
    if (this.#resource) {
      try {
        const obj = await this.kube.read(this.#resource);
        const { managedFields: _, ...metadata } = (obj.metadata ?? {}) as Record<string, unknown>;
        out.resource = { ...obj, metadata };
      } catch (err) {
        out.error = `${describeObject(this.#resource)}: ${apiErrorText(err)}`;
      }
    }
    if (this.#operator.hasOperator) out.operator = await this.#operator.diagnostics();
    await writeFile(join(dir, 'operator-resource.json'), `${JSON.stringify(redactDeep(out), null, 2)}\n`);
  }

  /**
   * Deletes the custom resource (already gone is fine), uninstalls the operator's chart release and
   * deletes the namespace the method made; once. The operator's manifests stay: a kind or k3d
   * cluster goes as a whole.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const problems: string[] = [];
    if (this.#resource) {
      await this.kube.delete(this.#resource).catch((err: unknown) => {
        problems.push(`${describeObject(this.#resource as KubeObject)}: ${apiErrorText(err)}`);
      });
    }
    await this.options.chart?.uninstall().catch((err: unknown) => {
      problems.push(err instanceof Error ? err.message : String(err));
    });
    if (this.#namespaceTouched) {
      await this.kube.delete(namespaceRef(this.namespace)).catch((err: unknown) => {
        problems.push(`namespace ${this.namespace}: ${apiErrorText(err)}`);
      });
    }
    if (problems.length > 0)
      throw new InfraError(`operator teardown could not delete ${problems.join('; ')}`);
  }

  async #moveOperator(step: Step, to: string, ctx: RunContext): Promise<void> {
    const vars = templateVars(this.spec, to);
    const from = this.#operator.version;
    ctx.event('operator', `${step}: operator ${from ?? '?'} → ${vars.operatorVersion}`);
    await this.#operator.apply(vars, step, ctx);
  }

  async #patch(step: Step, to: string, ctx: RunContext): Promise<void> {
    const resource = this.#resource;
    if (!resource) throw new InfraError(`cannot ${step} to ${to}: the resource was never applied`);
    const value = versionValueFor(this.spec, to);
    const patch = nested(this.spec.versionPath, value);
    try {
      await this.kube.mergePatch(resource, patch, this.spec.fieldManager);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      throw new InfraError(
        `${step} to ${to}: patching ${describeObject(resource)} failed: ${apiErrorText(err)}`,
        {
          cause: err,
        },
      );
    }
    ctx.event(
      'operator',
      `${step}: patched ${describeObject(resource)} ${this.spec.versionPath.join('.')}=${value}`,
    );
  }

  async #wait(what: string, version: string, ctx: RunContext): Promise<void> {
    const resource = this.#resource;
    if (!resource) throw new InfraError(`cannot wait for ${what}: the resource was never applied`);
    const kube = this.kube;
    await waitForResource(
      {
        source: {
          read: () => kube.read(resource),
          list: () => kube.list(resource),
          watch: (rv, handlers) => kube.watch(resource, rv, handlers),
        },
        ready: this.spec.ready,
        failed: this.spec.failed,
        version: versionValueFor(this.spec, version),
        timeoutMs: this.spec.timeoutSeconds * 1000,
        resyncMs: this.options.resyncMs,
        pollMs: this.options.pollMs,
        what,
        describe: describeObject(resource),
      },
      ctx,
    );
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
