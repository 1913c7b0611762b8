import { type Configuration, KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { errorMessage, InfraError } from '../../common/errors.js';
import type { KubeObject } from './operator-resources.js';

/** The HTTP status of an error thrown by client-node, when it is one. */
export function httpCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's message (a Status body) or the error's. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  const message = (parsed as { message?: unknown } | null | undefined)?.message;
  const code = httpCode(err);
  if (typeof message === 'string' && message) return code ? `${code}: ${message}` : message;
  return errorMessage(err);
}

/** KubernetesObjectApi whose default namespace (for namespaced objects without one) is set by us. */
class ObjectApi extends KubernetesObjectApi {
  constructor(configuration: Configuration) {
    super(configuration);
  }
  useNamespace(namespace: string): void {
    this.defaultNamespace = namespace;
  }
}

/**
 * The few API calls the operator method makes, through client-node's generic object API.
 * Objects are copied before each call (client-node fills in their namespace).
 */
export class OperatorKube {
  readonly #api: ObjectApi;

  constructor(kubeconfigPath: string, namespace: string) {
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(kubeconfigPath);
    } catch (err) {
      throw new InfraError(`cannot load the platform's kubeconfig ${kubeconfigPath}: ${errorMessage(err)}`);
    }
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

  /** Deletes the object; false when it was already gone. */
  async delete(ref: KubeObject): Promise<boolean> {
    try {
      await this.#api.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: refMeta(ref) });
      return true;
    } catch (err) {
      if (httpCode(err) === 404) return false;
      throw err;
    }
  }
}

function refMeta(ref: KubeObject): { name: string; namespace?: string } {
  return {
    name: ref.metadata.name,
    ...(ref.metadata.namespace ? { namespace: ref.metadata.namespace } : {}),
  };
}
