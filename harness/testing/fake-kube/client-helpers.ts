import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { FakeKube, KubeconfigOptions } from './fake-kube.js';
import type { KubeObject } from './types.js';

/** A client-node KubeConfig for the fake (optionally with another token or namespace). */
export function kubeConfigFor(kube: FakeKube, options: KubeconfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfigYamlFor(options));
  return kc;
}

export interface ApiStatus {
  code: number;
  reason?: string;
  message?: string;
}

/** The HTTP code and Status reason of an error thrown by client-node (typed or object API). */
export function apiStatusOf(err: unknown): ApiStatus | undefined {
  if (typeof err !== 'object' || err === null || typeof (err as { code?: unknown }).code !== 'number') {
    return undefined;
  }
  const { code, body } = err as { code: number; body?: unknown };
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  const status = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    reason?: string;
    message?: string;
  };
  return {
    code,
    ...(status.reason ? { reason: status.reason } : {}),
    ...(status.message ? { message: status.message } : {}),
  };
}

export interface RecordedWatchEvent {
  type: string;
  object: KubeObject;
}

export interface WatchRecorder {
  readonly events: RecordedWatchEvent[];
  /** Set once the stream ended: null when the server closed it, else the error. */
  readonly ended: Promise<unknown>;
  /** Resolves once `predicate(events)` holds; rejects after `timeoutMs` listing what arrived. */
  waitFor(predicate: (events: RecordedWatchEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): void;
}

/** Opens a client-node Watch on `path` and records every event. Call stop() when done. */
export async function recordWatch(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean> = {},
): Promise<WatchRecorder> {
  const events: RecordedWatchEvent[] = [];
  let isEnded = false;
  const waiters = new Set<() => void>();
  let endResolve: (err: unknown) => void = () => {};
  const ended = new Promise<unknown>((resolve) => {
    endResolve = resolve;
  });
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type: string, object: KubeObject) => {
      events.push({ type, object });
      for (const waiter of [...waiters]) waiter();
    },
    (err: unknown) => {
      isEnded = true;
      endResolve(err ?? null);
      for (const waiter of [...waiters]) waiter();
    },
  );
  const waitFor = (predicate: (events: RecordedWatchEvent[]) => boolean, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (predicate(events)) {
          cleanup();
          resolve();
        } else if (isEnded) {
          cleanup();
          reject(new Error(`watch ended before the condition held; events: ${summary()}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`watch condition not met in ${timeoutMs} ms; events: ${summary()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const summary = () => events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`).join(', ');
  return { events, ended, waitFor, stop: () => controller.abort() };
}
