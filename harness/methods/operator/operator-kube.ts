import {
  type Configuration,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
} from '@kubernetes/client-node';
import { apiCode } from '../../platforms/kube/api-errors.js';
import { loadKubeConfig } from '../../platforms/kube/load-kubeconfig.js';
import type { KubeObject } from './operator-resources.js';

/** KubernetesObjectApi whose default namespace (for namespaced objects without one) is set by us. */
class ObjectApi extends KubernetesObjectApi {
  constructor(configuration: Configuration) {
    super(configuration);
  }
  useNamespace(namespace: string): void {
    this.defaultNamespace = namespace;
  }
  /** The collection path of `ref`'s kind in its namespace (`/apis/g/v/namespaces/ns/plural`). */
  collectionPath(ref: KubeObject): Promise<string> {
    return this.specUriPath(
      { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { namespace: ref.metadata.namespace } },
      'list',
    );
  }
}

/** How to reach the cluster: a kubeconfig file and, optionally, the context in it. */
export interface KubeConnection {
  kubeconfigPath: string;
  context?: string;
}

/** The resource and the resourceVersion a watch may start from. */
export interface ListedResource {
  /** Undefined when the resource does not exist. */
  object: KubeObject | undefined;
  resourceVersion: string;
}

/** What a watch reports: each event as the API server sent it, and the end (null: closed). */
export interface WatchHandlers {
  onEvent(type: string, object: unknown): void;
  onEnd(err: unknown): void;
}

/**
 * The few API calls the operator method makes, through client-node's generic object API.
 * Objects are copied before each call (client-node fills in their namespace).
 */
export class OperatorKube {
  readonly #api: ObjectApi;
  readonly #kc: KubeConfig;

  constructor(connection: KubeConnection, namespace: string) {
    const { kubeconfigPath, context } = connection;
    const kc = loadKubeConfig({ kubeconfigPath, ...(context !== undefined ? { context } : {}) });
    this.#kc = kc;
    this.#api = kc.makeApiClient(ObjectApi);
    this.#api.useNamespace(namespace);
  }

  /** Server-side apply, forced: the harness owns the fields it sets. */
  apply(obj: KubeObject, fieldManager: string): Promise<KubeObject> {
    return this.#api.patch(
      structuredClone(obj),
      undefined,
      undefined,
      fieldManager,
      true,
      PatchStrategy.ServerSideApply,
    ) as Promise<KubeObject>;
  }

  /** A JSON merge patch (custom resources take no strategic merge). */
  mergePatch(ref: KubeObject, patch: Record<string, unknown>, fieldManager: string): Promise<KubeObject> {
    const body = { ...patch, apiVersion: ref.apiVersion, kind: ref.kind, metadata: refMeta(ref) };
    return this.#api.patch(
      body as KubeObject,
      undefined,
      undefined,
      fieldManager,
      undefined,
      PatchStrategy.MergePatch,
    ) as Promise<KubeObject>;
  }

  read(ref: KubeObject): Promise<KubeObject> {
    return this.#api.read({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: refMeta(ref),
    }) as Promise<KubeObject>;
  }

  /** The object by a list of its name (so the resourceVersion is the collection's, fresh to watch from). */
  async list(ref: KubeObject): Promise<ListedResource> {
    const list = await this.#api.list(
      ref.apiVersion,
      ref.kind,
      ref.metadata.namespace,
      undefined,
      undefined,
      undefined,
      `metadata.name=${ref.metadata.name}`,
    );
    const object = list.items.find((o) => o.metadata?.name === ref.metadata.name) as KubeObject | undefined;
    return { object, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** Objects of a kind in a namespace that carry the labels of `labelSelector`. */
  async listSelected(ref: KubeObject, labelSelector: string): Promise<KubeObject[]> {
    const list = await this.#api.list(
      ref.apiVersion,
      ref.kind,
      ref.metadata.namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      labelSelector,
    );
    return list.items as KubeObject[];
  }

  /**
   * Watches the one object `ref` names (fieldSelector metadata.name) from `resourceVersion`, with
   * bookmarks. Resolves once the watch is open (or has failed: `onEnd` then has the error) with a
   * function that stops it.
   */
  async watch(ref: KubeObject, resourceVersion: string, handlers: WatchHandlers): Promise<() => void> {
    const path = await this.#api.collectionPath(refOf(ref));
    const controller = await new Watch(this.#kc).watch(
      path,
      {
        fieldSelector: `metadata.name=${ref.metadata.name}`,
        resourceVersion,
        allowWatchBookmarks: true,
      },
      (type: string, object: unknown) => handlers.onEvent(type, object),
      (err: unknown) => handlers.onEnd(err),
    );
    return () => controller.abort();
  }

  /** Deletes the object; false when it was already gone. */
  async delete(ref: KubeObject): Promise<boolean> {
    try {
      await this.#api.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: refMeta(ref) });
      return true;
    } catch (err) {
      if (apiCode(err) === 404) return false;
      throw err;
    }
  }
}

function refOf(ref: KubeObject): KubeObject {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: refMeta(ref) };
}

function refMeta(ref: KubeObject): { name: string; namespace?: string } {
  return {
    name: ref.metadata.name,
    ...(ref.metadata.namespace ? { namespace: ref.metadata.namespace } : {}),
  };
}
