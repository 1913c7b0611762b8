import { clone } from './json-util.js';
import type { ObjectStore } from './object-store.js';
import { mergePatch } from './patch.js';
import { matchesAll, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { KubeStatusError } from './status-error.js';
import type { KubeObject, ObjectRef, StoreEvent } from './types.js';

export interface ListQuery {
  apiVersion: string;
  kind: string;
  /** Omit for all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * The test's direct hand on the cluster state: no HTTP, no auth, status written as given. Every
 * write still bumps resourceVersion and reaches watches, like a controller's write would.
 */
export class ControlStore {
  constructor(private readonly store: ObjectStore) {}

  get resourceVersion(): number {
    return this.store.resourceVersion;
  }

  get(ref: ObjectRef): KubeObject | undefined {
    return this.store.get(this.def(ref), ref.namespace, ref.name);
  }

  list(query: ListQuery): KubeObject[] {
    const matcher = matchesAll(
      parseLabelSelector(query.labelSelector),
      parseFieldSelector(query.fieldSelector),
    );
    return this.store.list(this.def(query), query.namespace, matcher);
  }

  /** Creates or replaces `obj` as given (status included; its namespace is created if missing). */
  put(obj: KubeObject): KubeObject {
    const def = this.def(obj);
    const ns = obj.metadata.namespace;
    const body = clone(obj);
    delete body.metadata.resourceVersion;
    return this.store.get(def, ns, obj.metadata.name ?? '')
      ? this.store.update(def, body, ns, { mode: 'control' })
      : this.store.create(def, body, ns, { mode: 'control' });
  }

  /** Read, change (mutate in place or return a new object), write back. Throws when absent. */
  update(ref: ObjectRef, change: (obj: KubeObject) => KubeObject | undefined): KubeObject {
    const current = this.require(ref);
    const next = change(current) ?? current;
    return this.put(next);
  }

  /** Merge-patches (RFC 7386) the object's status. Throws when absent. */
  patchStatus(ref: ObjectRef, status: Record<string, unknown>): KubeObject {
    const current = this.require(ref);
    return this.put({ ...current, status: mergePatch(current.status, status) });
  }

  /**
   * Deletes like the API does (finalizers hold the object, namespaces terminate); `force`
   * removes it at once (a namespace with everything in it). Returns false when it did not exist.
   */
  delete(ref: ObjectRef, options: { force?: boolean } = {}): boolean {
    try {
      const def = this.def(ref);
      if (options.force && def.kind === 'Namespace' && !def.group) {
        for (const { def: inner, object } of this.store.contentsOf(ref.name)) {
          const name = object.metadata.name ?? '';
          // Deleting an owner may already have taken its dependents.
          if (this.store.get(inner, ref.name, name))
            this.store.delete(inner, ref.name, name, { ignoreFinalizers: true });
        }
      }
      this.store.delete(def, ref.namespace, ref.name, { ignoreFinalizers: options.force === true });
      return true;
    } catch (err: unknown) {
      if (err instanceof KubeStatusError && err.code === 404) return false;
      throw err;
    }
  }

  /** Every write from now on, in resourceVersion order. Returns the unsubscribe function. */
  onChange(listener: (event: StoreEvent) => void): () => void {
    return this.store.subscribe(listener);
  }

  private require(ref: ObjectRef): KubeObject {
    const current = this.get(ref);
    if (!current) throw new Error(`fake-kube: ${ref.kind} ${ref.namespace ?? ''}/${ref.name} not found`);
    return current;
  }

  private def(ref: { apiVersion: string; kind: string }) {
    return this.store.registry.require(ref.apiVersion, ref.kind);
  }
}
