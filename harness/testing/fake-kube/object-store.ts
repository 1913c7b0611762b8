import { randomUUID } from 'node:crypto';
import { Defaulter } from './defaults.js';
import { clone, deepEqual, isPlainObject, kubeTime, randomSuffix } from './json-util.js';
import { apiVersionOf, type ResourceRegistry, storageKey } from './resource-registry.js';
import type { Matcher } from './selectors.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
  OBJECT_MODIFIED,
} from './status-error.js';
import type { KubeObject, ResourceDef, StoreEvent, WatchEventType } from './types.js';

/**
 * How a write treats status: `main` is the resource endpoint (status is kept from the stored
 * object when the kind has a status subresource), `status` is `<name>/status` (only status
 * changes), `control` is the test control API and scripts (taken as given).
 */
export type WriteMode = 'main' | 'status' | 'control';

export interface WriteOptions {
  mode: WriteMode;
  dryRun?: boolean;
}

export interface ObjectStoreOptions {
  /** Events kept for watches to resume from; older resourceVersions get 410. */
  historyLimit: number;
  now: () => number;
  /** Creating in a namespace that does not exist is a 404 (as on a real cluster). */
  requireNamespaces: boolean;
}

export type StoreListener = (event: StoreEvent) => void;

const NAME_PATTERN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAMESPACES = { group: '', plural: 'namespaces' };

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** What generation counts: everything but metadata and status. */
function specOf(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/**
 * Objects by resource/namespace/name, one global resourceVersion counter bumped by every write,
 * and a bounded history of writes that watches replay. Stored objects are never mutated: every
 * write stores a new object, so history entries stay as they were.
 */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private readonly queue: StoreEvent[] = [];
  private draining = false;
  private rv = 0;
  private compactedRv = 0;
  private readonly defaulter = new Defaulter();
  /** What listeners threw (a bug in a script or controller); kept for tests to inspect. */
  readonly listenerErrors: unknown[] = [];

  constructor(
    readonly registry: ResourceRegistry,
    private readonly options: ObjectStoreOptions,
  ) {}

  get resourceVersion(): number {
    return this.rv;
  }

  /** Watches from a resourceVersion below this get 410 Gone. */
  get oldestResourceVersion(): number {
    return this.compactedRv;
  }

  /** Called for every write, in resourceVersion order, after the write is stored. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes after `rv`, or undefined when some of them are no longer kept. */
  eventsAfter(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  /** The stored object as served by `def`'s version (a copy). */
  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.raw(def, namespace, name);
    return obj ? present(def, obj) : undefined;
  }

  list(def: ResourceDef, namespace: string | undefined, matcher: Matcher = () => true): KubeObject[] {
    const all = [...(this.objects.get(storageKey(def))?.values() ?? [])];
    return all
      .filter((o) => (namespace === undefined || o.metadata.namespace === namespace) && matcher(o))
      .sort((a, b) =>
        objectKey(a.metadata.namespace, a.metadata.name ?? '').localeCompare(
          objectKey(b.metadata.namespace, b.metadata.name ?? ''),
        ),
      )
      .map((o) => present(def, o));
  }

  create(
    def: ResourceDef,
    body: KubeObject,
    namespace: string | undefined,
    options: WriteOptions,
  ): KubeObject {
    const obj = this.normalize(def, body, namespace);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix(5)}`;
    const name = meta.name ?? '';
    if (!name) throw invalid(def, '', 'metadata.name', 'Required value: name or generateName is required');
    if (name.length > 253 || !NAME_PATTERN.test(name)) {
      throw invalid(
        def,
        name,
        'metadata.name',
        `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      );
    }
    if (def.namespaced) this.checkNamespace(meta.namespace ?? '', options);
    if (this.raw(def, meta.namespace, name)) throw alreadyExists(def, name);
    // The control API may seed a uid and creation time (e.g. for ownerReferences it wrote already).
    const seeded = options.mode === 'control';
    meta.uid = seeded && typeof meta.uid === 'string' && meta.uid ? meta.uid : randomUUID();
    meta.creationTimestamp =
      seeded && typeof meta.creationTimestamp === 'string'
        ? meta.creationTimestamp
        : kubeTime(this.options.now());
    meta.generation = options.mode === 'control' && typeof meta.generation === 'number' ? meta.generation : 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    if (options.mode !== 'control' && def.statusSubresource) delete obj.status;
    if (options.mode !== 'control') this.defaulter.create(def, obj);
    if (def.kind === 'Namespace' && !def.group) obj.status = { phase: 'Active', ...(obj.status as object) };
    if (def.kind === 'Pod' && !def.group && obj.status === undefined) obj.status = { phase: 'Pending' };
    if (options.dryRun) return present(def, obj);
    return present(def, this.commit(def, 'ADDED', obj));
  }

  /** Replaces the stored object with `body` (PUT, patch results, control writes). */
  update(
    def: ResourceDef,
    body: KubeObject,
    namespace: string | undefined,
    options: WriteOptions,
  ): KubeObject {
    const incoming = this.normalize(def, body, namespace);
    const name = incoming.metadata.name ?? '';
    const prev = this.raw(def, incoming.metadata.namespace, name);
    if (!prev) throw notFound(def, name);
    const wantedRv = incoming.metadata.resourceVersion;
    if (wantedRv && wantedRv !== prev.metadata.resourceVersion) throw conflict(def, name, OBJECT_MODIFIED);

    let next: KubeObject;
    if (options.mode === 'status') {
      next = { ...clone(prev), status: incoming.status };
      if (incoming.status === undefined) delete next.status;
    } else {
      next = incoming;
      const keep = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;
      for (const field of keep) {
        if (options.mode !== 'control' || next.metadata[field] === undefined) {
          if (prev.metadata[field] === undefined) delete next.metadata[field];
          else (next.metadata as Record<string, unknown>)[field] = prev.metadata[field];
        }
      }
      if (options.mode !== 'control' && incoming.metadata.managedFields === undefined) {
        if (prev.metadata.managedFields) next.metadata.managedFields = prev.metadata.managedFields;
      }
      if (options.mode === 'main' && def.statusSubresource) {
        if (prev.status === undefined) delete next.status;
        else next.status = clone(prev.status);
      }
    }
    if (options.mode === 'main') this.defaulter.update(def, next, prev);
    const prevGeneration = prev.metadata.generation ?? 1;
    const explicit = options.mode === 'control' && next.metadata.generation !== prevGeneration;
    if (!explicit || typeof next.metadata.generation !== 'number') {
      next.metadata.generation = prevGeneration + (deepEqual(specOf(prev), specOf(next)) ? 0 : 1);
    }
    next.metadata.resourceVersion = prev.metadata.resourceVersion;
    // The real server does not write (nor bump resourceVersion) when nothing changed.
    if (deepEqual(next, prev)) return present(def, prev);
    if (options.dryRun) return present(def, next);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return present(def, this.removeNow(def, next));
    }
    return present(def, this.commit(def, 'MODIFIED', next, prev));
  }

  /**
   * DELETE: objects with finalizers get a deletionTimestamp and stay until an update removes the
   * last finalizer; a namespace terminates (its objects are deleted, then it goes); dependents
   * (ownerReferences) are deleted unless `propagationPolicy` is Orphan.
   */
  delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    options: { dryRun?: boolean; orphan?: boolean; ignoreFinalizers?: boolean } = {},
  ): KubeObject {
    const prev = this.raw(def, def.namespaced ? namespace : undefined, name);
    if (!prev) throw notFound(def, name);
    if (options.dryRun) return present(def, prev);
    const finalizers = prev.metadata.finalizers ?? [];
    const isNamespace = storageKey(def) === storageKey(NAMESPACES);
    if (!options.ignoreFinalizers && (isNamespace || finalizers.length > 0)) {
      if (prev.metadata.deletionTimestamp) return present(def, prev);
      const next = clone(prev);
      next.metadata.deletionTimestamp = kubeTime(this.options.now());
      next.metadata.deletionGracePeriodSeconds = 0;
      if (isNamespace)
        next.status = { ...(isPlainObject(prev.status) ? prev.status : {}), phase: 'Terminating' };
      return present(def, this.commit(def, 'MODIFIED', next, prev));
    }
    return present(def, this.removeNow(def, prev, options.orphan));
  }

  /** Namespaced objects still in `namespace`, as (def, object) pairs. */
  contentsOf(namespace: string): { def: ResourceDef; object: KubeObject }[] {
    const out: { def: ResourceDef; object: KubeObject }[] = [];
    for (const [key, map] of this.objects) {
      const def = this.registry.byStorageKey(key);
      if (!def?.namespaced) continue;
      for (const object of map.values())
        if (object.metadata.namespace === namespace) out.push({ def, object });
    }
    return out;
  }

  /** Removes every object of a resource (its CRD went away). */
  dropResource(key: string, def: ResourceDef): void {
    for (const object of [...(this.objects.get(key)?.values() ?? [])]) this.removeNow(def, object, true);
    this.objects.delete(key);
  }

  private raw(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(storageKey(def))?.get(objectKey(def.namespaced ? namespace : undefined, name));
  }

  private normalize(def: ResourceDef, body: KubeObject, namespace: string | undefined): KubeObject {
    if (!isPlainObject(body)) throw badRequest('the body of the request was not a JSON object');
    const obj = clone(body);
    if (obj.kind !== undefined && obj.kind !== def.kind) {
      throw badRequest(
        `the kind of the object (${String(obj.kind)}) does not match the resource (${def.kind})`,
      );
    }
    const served = apiVersionOf(def);
    if (obj.apiVersion !== undefined && obj.apiVersion !== served) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${served})`,
      );
    }
    obj.kind = def.kind;
    obj.apiVersion = served;
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    const meta = obj.metadata;
    if (!def.namespaced) {
      delete meta.namespace;
    } else if (namespace !== undefined) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace;
    }
    if (def.namespaced && !meta.namespace)
      throw badRequest('a namespace is required for namespaced resources');
    return obj;
  }

  private checkNamespace(namespace: string, options: WriteOptions): void {
    const nsDef = this.registry.byPath('', 'v1', 'namespaces');
    if (!nsDef) return;
    const ns = this.raw(nsDef, undefined, namespace);
    if (!ns && options.mode === 'control') {
      this.create(
        nsDef,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
        undefined,
        options,
      );
      return;
    }
    if (!ns && this.options.requireNamespaces) throw notFound(nsDef, namespace);
    if (ns?.metadata.deletionTimestamp) {
      throw forbidden(
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private removeNow(def: ResourceDef, prev: KubeObject, orphan = false): KubeObject {
    const removed = this.commit(def, 'DELETED', clone(prev), prev);
    const uid = prev.metadata.uid;
    if (uid && !orphan) {
      for (const [key, map] of this.objects) {
        const depDef = this.registry.byStorageKey(key);
        if (!depDef) continue;
        for (const dep of [...map.values()]) {
          const owned = (dep.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid);
          const sameScope = !def.namespaced || dep.metadata.namespace === prev.metadata.namespace;
          if (owned && sameScope && this.raw(depDef, dep.metadata.namespace, dep.metadata.name ?? '')) {
            this.delete(depDef, dep.metadata.namespace, dep.metadata.name ?? '');
          }
        }
      }
    }
    return removed;
  }

  private commit(
    def: ResourceDef,
    type: WatchEventType,
    next: KubeObject,
    previous?: KubeObject,
  ): KubeObject {
    this.rv += 1;
    const stored: KubeObject = { ...next, metadata: { ...next.metadata, resourceVersion: String(this.rv) } };
    const key = storageKey(def);
    const objKey = objectKey(stored.metadata.namespace, stored.metadata.name ?? '');
    let map = this.objects.get(key);
    if (!map) {
      map = new Map();
      this.objects.set(key, map);
    }
    if (type === 'DELETED') map.delete(objKey);
    else map.set(objKey, stored);
    const event: StoreEvent = {
      type,
      rv: this.rv,
      storageKey: key,
      object: stored,
      ...(previous ? { previous } : {}),
    };
    this.history.push(event);
    while (this.history.length > this.options.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.compactedRv = dropped.rv;
    }
    this.queue.push(event);
    this.drain();
    return stored;
  }

  /** Listeners may write; their writes are delivered after the current one, in order. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let event = this.queue.shift(); event; event = this.queue.shift()) {
        for (const listener of [...this.listeners]) {
          try {
            listener(event);
          } catch (err: unknown) {
            this.listenerErrors.push(err);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }
}

/** A copy of a stored object as served by `def`'s version. */
export function present(def: ResourceDef, obj: KubeObject): KubeObject {
  const copy = clone(obj);
  copy.apiVersion = apiVersionOf(def);
  return copy;
}
