import type { RunContext } from '../../common/context.js';
import { errorMessage, InfraError } from '../../common/errors.js';
import { apiErrorText } from '../../platforms/kube/api-errors.js';
import { INSTANCE_LABEL, type OperatorChart } from './operator-chart.js';
import { fetchManifest, safeUrl } from './operator-fetch.js';
import type { OperatorKube } from './operator-kube.js';
import {
  describeObject,
  expandEntry,
  isUrl,
  type KubeObject,
  loadObjects,
  type OperatorSpec,
  parseObjects,
  type TemplateVars,
} from './operator-resources.js';

/** A kind not served yet (its CRD was applied a moment ago): retried this long. */
const DISCOVERY_RETRY_MS = 30_000;

export interface ApplyOptions {
  kube: OperatorKube;
  fieldManager: string;
  /** Pause between tries while a kind is not served yet (capped at 1 s). */
  retryMs: number;
  /** Told of every object applied (`apiVersion Kind/name`). */
  onApplied?: (description: string) => void;
}

/** Server-side apply; a kind whose CRD was just applied may take a moment to be served. */
export async function applyObject(
  obj: KubeObject,
  options: ApplyOptions,
  ctx: RunContext,
): Promise<KubeObject> {
  const deadline = performance.now() + DISCOVERY_RETRY_MS;
  for (;;) {
    try {
      const applied = await options.kube.apply(obj, options.fieldManager);
      const description = describeObject(applied.metadata ? applied : obj);
      options.onApplied?.(description);
      ctx.event('operator', `applied ${description}`);
      return applied;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const unserved = /Unrecognized API version and kind/.test(errorMessage(err));
      if (unserved && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, Math.min(options.retryMs, 1000)));
        continue;
      }
      throw new InfraError(`server-side apply of ${describeObject(obj)} failed: ${apiErrorText(err)}`, {
        cause: err,
      });
    }
  }
}

export interface OperatorInstallerOptions extends ApplyOptions {
  spec: OperatorSpec;
  /** When the operator comes from its chart. */
  chart?: OperatorChart;
  /** The namespace objects without one go to (for diagnostics reads). */
  namespace: string;
  /** Fetches a manifest URL (default: fetchManifest, 30 s, 5 MB). */
  fetch?: (url: string, signal: AbortSignal) => Promise<string>;
}

/** Key of a Deployment for the diagnostics list. */
const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * The operator itself: its manifests (files or http(s) URLs, fetched once per expanded URL) applied
 * with server-side apply, and/or its chart deployed with helm, at an operator version.
 */
export class OperatorInstaller {
  readonly #fetched = new Map<string, string>();
  /** Deployments among the applied manifests, for diagnostics. */
  readonly #deployments = new Map<string, KubeObject>();
  #version: string | undefined;

  constructor(private readonly options: OperatorInstallerOptions) {}

  /** The operator version last applied. */
  get version(): string | undefined {
    return this.#version;
  }

  get hasOperator(): boolean {
    return this.options.spec.manifests.length > 0 || this.options.chart !== undefined;
  }

  /** The objects of every manifest at `vars`, in order (URLs fetched, files read). */
  async objects(vars: TemplateVars, ctx: RunContext): Promise<KubeObject[]> {
    const all: KubeObject[] = [];
    for (const [i, entry] of this.options.spec.manifests.entries()) {
      const where = expandEntry(entry, vars, `operator.manifests[${i}]`);
      if (!isUrl(where)) {
        all.push(...loadObjects(where, vars));
        continue;
      }
      let text = this.#fetched.get(where);
      if (text === undefined) {
        const fetch = this.options.fetch ?? fetchManifest;
        text = await fetch(where, ctx.signal);
        this.#fetched.set(where, text);
      }
      all.push(...parseObjects(text, safeUrl(where), vars));
    }
    return all;
  }

  /**
   * Applies the manifests, then deploys the chart, at `vars.operatorVersion`. The manifests are
   * read (and fetched) before anything is sent, so a bad file or URL changes nothing.
   */
  async apply(vars: TemplateVars, step: string, ctx: RunContext): Promise<void> {
    if (!this.hasOperator) return;
    const objects = await this.objects(vars, ctx);
    for (const obj of objects) {
      const applied = await applyObject(obj, this.options, ctx);
      if (obj.kind === 'Deployment' && obj.apiVersion === 'apps/v1') {
        const namespace = applied.metadata?.namespace ?? obj.metadata.namespace ?? this.options.namespace;
        const ref = {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          metadata: { name: obj.metadata.name, namespace },
        };
        this.#deployments.set(keyOf(ref), ref);
      }
    }
    if (this.options.chart) await this.options.chart.deploy(vars, step, ctx);
    this.#version = vars.operatorVersion;
    const what = [
      objects.length > 0 ? `${objects.length} objects from its manifests` : '',
      this.options.chart ? `chart release ${this.options.chart.release}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    ctx.event('operator', `${step}: operator ${vars.operatorVersion} applied (${what})`);
  }

  /** The operator's Deployments (from its manifests, or labelled with its chart's release) with their status. */
  async diagnostics(): Promise<unknown> {
    const out: Record<string, unknown> = { version: this.#version ?? null };
    const found = new Map(this.#deployments);
    const errors: string[] = [];
    const { chart, kube } = this.options;
    if (chart) {
      out.chart = { release: chart.release, namespace: chart.namespace, commands: chart.commands };
      const ref: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: '', namespace: chart.namespace },
      };
      try {
        for (const d of await kube.listSelected(ref, `${INSTANCE_LABEL}=${chart.release}`))
          found.set(keyOf(d), d);
      } catch (err) {
        errors.push(`Deployments of release ${chart.release}: ${apiErrorText(err)}`);
      }
    }
    const deployments: unknown[] = [];
    for (const ref of found.values()) {
      try {
        deployments.push(deploymentSummary(await kube.read(ref)));
      } catch (err) {
        errors.push(`${describeObject(ref)}: ${apiErrorText(err)}`);
      }
    }
    out.deployments = deployments;
    if (errors.length > 0) out.errors = errors;
    return out;
  }
}

/** Name, images and status of a Deployment (no env, no managedFields). */
function deploymentSummary(obj: KubeObject): unknown {
  const spec = (obj.spec ?? {}) as {
    replicas?: number;
    template?: { spec?: { containers?: Array<{ name?: string; image?: string }> } };
  };
  return {
    name: obj.metadata.name,
    namespace: obj.metadata.namespace,
    generation: obj.metadata.generation,
    replicas: spec.replicas,
    images: (spec.template?.spec?.containers ?? []).map((c) => `${c.name ?? ''}=${c.image ?? ''}`),
    status: obj.status ?? null,
  };
}
