import {
  type ConfigurationOptions,
  CoreV1Api,
  type KubeConfig,
  Observable,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  type V1Namespace,
} from '@kubernetes/client-node';
import { sleep } from '../../common/clock.js';

import { apiCode, apiErrorText } from './api-errors.js';

export { apiCode, apiErrorText };

/** client-node requests have no deadline of their own: this one aborts the request with `signal`. */
function withSignal(signal: AbortSignal): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/** A request that got no answer in time (the API server or the network hangs). */
export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer from the API server within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export interface NamespaceClientOptions {
  /** Each request's deadline; default 15 s. */
  requestTimeoutMs?: number;
  /** Aborts every request (and a wait) of this client. */
  signal?: AbortSignal;
}

/** The few namespace calls the existing platform and `gc` make, each bounded in time. */
export class NamespaceClient {
  readonly #api: CoreV1Api;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(kc: KubeConfig, options: NamespaceClientOptions = {}) {
    this.#api = kc.makeApiClient(CoreV1Api);
    this.#timeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#signal = options.signal;
  }

  /** Runs one request under its deadline (and the client's signal); a deadline passed is a RequestTimeoutError. */
  async #call<T>(request: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = this.#signal ? AbortSignal.any([timeout, this.#signal]) : timeout;
    try {
      return await request(withSignal(signal));
    } catch (err) {
      if (timeout.aborted && !this.#signal?.aborted) throw new RequestTimeoutError(this.#timeoutMs);
      throw err;
    }
  }

  create(body: V1Namespace): Promise<V1Namespace> {
    return this.#call((o) => this.#api.createNamespace({ body }, o));
  }

  /** The namespace, or undefined when it does not exist. */
  async read(name: string): Promise<V1Namespace | undefined> {
    try {
      return await this.#call((o) => this.#api.readNamespace({ name }, o));
    } catch (err) {
      if (apiCode(err) === 404) return undefined;
      throw err;
    }
  }

  /** Asks for the deletion (background); false when it was already gone. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.#call((o) => this.#api.deleteNamespace({ name, propagationPolicy: 'Background' }, o));
      return true;
    } catch (err) {
      if (apiCode(err) === 404) return false;
      throw err;
    }
  }

  async list(labelSelector: string): Promise<V1Namespace[]> {
    const list = await this.#call((o) => this.#api.listNamespace({ labelSelector }, o));
    return list.items;
  }

  /**
   * Polls until the namespace is gone (404). Returns what it saw last when `timeoutMs` passed
   * first (its phase, what is left in it by its conditions); undefined once it is gone.
   */
  async waitGone(
    name: string,
    timeoutMs: number,
    intervalMs = 250,
  ): Promise<{ phase: string; why: string } | undefined> {
    const end = performance.now() + timeoutMs;
    let last = { phase: 'unknown', why: '' };
    for (;;) {
      this.#signal?.throwIfAborted();
      try {
        const ns = await this.read(name);
        if (!ns) return undefined;
        last = { phase: ns.status?.phase ?? 'unknown', why: stuckReason(ns) };
      } catch (err) {
        last = { phase: last.phase, why: apiErrorText(err) };
      }
      const left = end - performance.now();
      if (left <= 0) return last;
      await sleep(Math.min(intervalMs, left), this.#signal);
    }
  }
}

/** The conditions the namespace controller sets on a namespace it cannot finish deleting. */
function stuckReason(ns: V1Namespace): string {
  return (ns.status?.conditions ?? [])
    .filter((c) => c.status === 'True' && c.message)
    .map((c) => `${c.type}: ${c.message}`)
    .join('; ');
}
