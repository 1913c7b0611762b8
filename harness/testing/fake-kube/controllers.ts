import { isPlainObject, kubeTime } from './json-util.js';
import type { ObjectStore } from './object-store.js';
import { CRD_GROUP, storageKey } from './resource-registry.js';
import { KubeStatusError } from './status-error.js';
import type { TimerSet } from './timer-set.js';
import type { KubeObject, RegisterResourceOptions, StoreEvent } from './types.js';

const NAMESPACES_KEY = '/namespaces';
const CRDS_KEY = `${CRD_GROUP}/customresourcedefinitions`;

function ignoreNotFound(fn: () => void): void {
  try {
    fn();
  } catch (err: unknown) {
    if (!(err instanceof KubeStatusError && err.code === 404)) throw err;
  }
}

/**
 * What the namespace controller does on a real cluster: once a namespace is Terminating (after
 * `terminationMs`), delete everything in it, and remove the namespace when nothing is left
 * (objects held by finalizers keep it Terminating).
 */
export function startNamespaceController(
  store: ObjectStore,
  timers: TimerSet,
  terminationMs: number,
): () => void {
  const draining = new Set<string>();
  const nsDef = store.registry.byPath('', 'v1', 'namespaces');
  if (!nsDef) throw new Error('fake-kube: namespaces are not registered');

  const maybeComplete = (name: string) => {
    if (!draining.has(name) || store.contentsOf(name).length > 0) return;
    draining.delete(name);
    ignoreNotFound(() => store.delete(nsDef, undefined, name, { ignoreFinalizers: true }));
  };
  const finish = (name: string) => {
    draining.add(name);
    for (const { def, object } of store.contentsOf(name)) {
      ignoreNotFound(() => store.delete(def, name, object.metadata.name ?? ''));
    }
    maybeComplete(name);
  };

  return store.subscribe((event: StoreEvent) => {
    const meta = event.object.metadata;
    if (event.storageKey === NAMESPACES_KEY && event.type === 'MODIFIED') {
      const name = meta.name ?? '';
      if (meta.deletionTimestamp && !event.previous?.metadata.deletionTimestamp) {
        if (terminationMs > 0) timers.timeout(() => finish(name), terminationMs);
        else finish(name);
      }
    } else if (event.type === 'DELETED' && meta.namespace && draining.has(meta.namespace)) {
      maybeComplete(meta.namespace);
    }
  });
}

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: unknown };
}

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { kind: string; plural: string; singular?: string; shortNames?: string[]; listKind?: string };
  versions: CrdVersion[];
}

function crdSpec(obj: KubeObject): CrdSpec | undefined {
  const spec = obj.spec;
  if (!isPlainObject(spec) || typeof spec.group !== 'string' || !isPlainObject(spec.names)) return undefined;
  const names = spec.names as CrdSpec['names'];
  if (typeof names.kind !== 'string' || typeof names.plural !== 'string' || !Array.isArray(spec.versions)) {
    return undefined;
  }
  return spec as unknown as CrdSpec;
}

/** Serves the resources of CustomResourceDefinitions as they are created, and drops them on delete. */
export function startCrdController(store: ObjectStore): () => void {
  const registry = store.registry;
  return store.subscribe((event: StoreEvent) => {
    if (event.storageKey !== CRDS_KEY) return;
    const crdDef = registry.byPath(CRD_GROUP, 'v1', 'customresourcedefinitions');
    const spec = crdSpec(event.object);
    if (!crdDef || !spec) return;
    if (event.type === 'DELETED') {
      const def = registry.byStorageKey(storageKey({ group: spec.group, plural: spec.names.plural }));
      if (def) store.dropResource(storageKey(def), def);
      registry.unregister(spec.group, spec.names.plural);
      return;
    }
    registry.unregister(spec.group, spec.names.plural);
    for (const version of spec.versions) {
      if (version.served === false) continue;
      registry.register({
        group: spec.group,
        version: version.name,
        kind: spec.names.kind,
        plural: spec.names.plural,
        namespaced: spec.scope !== 'Cluster',
        statusSubresource: version.subresources?.status !== undefined,
        ...(spec.names.singular ? { singular: spec.names.singular } : {}),
        ...(spec.names.shortNames ? { shortNames: spec.names.shortNames } : {}),
      });
    }
    const current = store.get(crdDef, undefined, event.object.metadata.name ?? '');
    const status = isPlainObject(current?.status) ? current.status : {};
    const conditions = Array.isArray(status.conditions) ? (status.conditions as { type?: string }[]) : [];
    if (current && !conditions.some((c) => c.type === 'Established')) {
      const now = kubeTime(Date.now());
      const established = (type: string, reason: string) => ({
        type,
        status: 'True',
        reason,
        message: '',
        lastTransitionTime: now,
      });
      store.update(
        crdDef,
        {
          ...current,
          metadata: { ...current.metadata, resourceVersion: undefined },
          status: {
            conditions: [
              established('NamesAccepted', 'NoConflicts'),
              established('Established', 'InitialNamesAccepted'),
            ],
            acceptedNames: spec.names,
            storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
          },
        },
        undefined,
        { mode: 'control' },
      );
    }
  });
}

/** A CRD object for a resource registered through the control API, so clients can read it. */
export function crdFor(options: RegisterResourceOptions, existing?: KubeObject): KubeObject {
  const version: Record<string, unknown> = {
    name: options.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    ...(options.statusSubresource === false ? {} : { subresources: { status: {} } }),
  };
  const spec = existing ? crdSpec(existing) : undefined;
  const others = (spec?.versions ?? [])
    .filter((v) => v.name !== options.version)
    .map((v) => ({ ...v, storage: false }));
  return {
    apiVersion: `${CRD_GROUP}/v1`,
    kind: 'CustomResourceDefinition',
    metadata: { name: `${options.plural}.${options.group}` },
    spec: {
      group: options.group,
      scope: options.namespaced ? 'Namespaced' : 'Cluster',
      names: {
        kind: options.kind,
        plural: options.plural,
        singular: options.singular ?? options.kind.toLowerCase(),
        listKind: `${options.kind}List`,
        ...(options.shortNames ? { shortNames: options.shortNames } : {}),
      },
      versions: [...others, version],
    },
  };
}
