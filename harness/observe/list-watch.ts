import { type KubeConfig, Watch } from '@kubernetes/client-node';
import { sleep } from '../common/clock.js';
import { untilAborted } from '../common/deadline.js';

/** Any Kubernetes object as JSON (typed client objects fit too). */
export interface KubeItem {
  metadata?: { name?: string; uid?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ListResult {
  items: KubeItem[];
  resourceVersion: string;
}

export interface ListWatchOptions {
  kc: KubeConfig;
  /** The collection path, e.g. `/api/v1/namespaces/ns/pods`. */
  path: string;
  /** Extra watch query (labelSelector, ...). */
  query?: Record<string, string>;
  list(): Promise<ListResult>;
  /** Called with every (re-)list; `initial` only for the first. Must not throw (errors are swallowed). */
  onList(items: KubeItem[], initial: boolean): void;
  /** Called per watch event. Must not throw (errors are swallowed). */
  onEvent(type: WatchType, item: KubeItem): void;
  signal: AbortSignal;
  /** Consecutive failures (list errors, watch errors, watches that end at once) before giving up; default 8. */
  maxRetries?: number;
  /** First backoff; doubles per consecutive failure up to maxBackoffMs. Default 200. */
  initialBackoffMs?: number;
  /** Default 5000. */
  maxBackoffMs?: number;
  /** Asks the server to end each watch after this long (it is then resumed); default 300. */
  watchTimeoutSeconds?: number;
  /** Ask for BOOKMARK events (keeps the resume point fresh); default true. */
  bookmarks?: boolean;
}

export interface ListWatchStats {
  lists: number;
  watches: number;
  /** Watches answered with 410 Gone (each followed by a re-list). */
  expired: number;
  errors: number;
  gaveUp: boolean;
  lastError?: string;
}

export interface ListWatchHandle {
  stats(): ListWatchStats;
  /** Resolves after the first list was delivered, or once the loop ended without one. */
  readonly synced: Promise<void>;
  /** Resolves when the loop has ended (signal aborted or retries exhausted). Never rejects. */
  readonly done: Promise<void>;
}

type WatchEnd = { kind: 'expired' } | { kind: 'ended'; delivered: boolean } | { kind: 'error'; err: unknown };

const QUICK_END_MS = 1000;

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}

function statusCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The list's answer, or undefined once `signal` aborts (the loop then ends). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  return untilAborted(promise, signal).catch((err: unknown) => {
    if (signal.aborted) return undefined;
    throw err;
  });
}

/**
 * List, then watch from the list's resourceVersion, resuming from the last version seen when a
 * watch ends; a 410 Gone re-lists. Failures back off exponentially; after `maxRetries`
 * consecutive ones the loop gives up (stats().gaveUp). Ends when `signal` aborts.
 */
export function runListWatch(options: ListWatchOptions): ListWatchHandle {
  const stats: ListWatchStats = { lists: 0, watches: 0, expired: 0, errors: 0, gaveUp: false };
  const maxRetries = options.maxRetries ?? 8;
  const initialBackoff = options.initialBackoffMs ?? 200;
  const maxBackoff = options.maxBackoffMs ?? 5000;
  const { signal } = options;
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => {
    markSynced = resolve;
  });
  let failures = 0;

  /** Records a failure and waits; false when the loop must end. */
  const fail = async (err: unknown): Promise<boolean> => {
    stats.errors += 1;
    stats.lastError = messageOf(err);
    failures += 1;
    if (failures > maxRetries) {
      stats.gaveUp = true;
      return false;
    }
    try {
      await sleep(Math.min(maxBackoff, initialBackoff * 2 ** (failures - 1)), signal);
      return true;
    } catch {
      return false;
    }
  };

  const watchOnce = async (from: string): Promise<{ end: WatchEnd; rv: string }> => {
    let rv = from;
    let delivered = false;
    let expired = false;
    let statusError: unknown;
    let finish: (end: WatchEnd) => void = () => {};
    const ended = new Promise<WatchEnd>((resolve) => {
      finish = resolve;
    });
    const query = {
      ...options.query,
      resourceVersion: from,
      allowWatchBookmarks: options.bookmarks ?? true,
      timeoutSeconds: options.watchTimeoutSeconds ?? 300,
    };
    stats.watches += 1;
    const controller = await new Watch(options.kc).watch(
      options.path,
      query,
      (type: string, object: unknown) => {
        const item = (typeof object === 'object' && object !== null ? object : {}) as KubeItem;
        if (type === 'ERROR') {
          const code = (item as { code?: unknown }).code;
          if (code === 410) expired = true;
          else
            statusError = new Error(
              `watch error: ${messageOf((item as { message?: unknown }).message ?? item)}`,
            );
          return;
        }
        const version = item.metadata?.resourceVersion;
        if (typeof version === 'string' && version !== '') rv = version;
        if (type === 'BOOKMARK') return;
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
        delivered = true;
        try {
          options.onEvent(type, item);
        } catch {
          // a callback's failure must not end the watch
        }
      },
      (err: unknown) => {
        if (expired || statusCodeOf(err) === 410) finish({ kind: 'expired' });
        else if (err) finish({ kind: 'error', err });
        else if (statusError) finish({ kind: 'error', err: statusError });
        else finish({ kind: 'ended', delivered });
      },
    );
    const onAbort = () => controller.abort();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const end = await ended;
    signal.removeEventListener('abort', onAbort);
    return { end, rv };
  };

  const loop = async (): Promise<void> => {
    let rv: string | undefined;
    let initial = true;
    while (!signal.aborted) {
      if (rv === undefined) {
        let listed: ListResult | undefined;
        try {
          listed = await unlessAborted(options.list(), signal);
        } catch (err: unknown) {
          if (await fail(err)) continue;
          break;
        }
        if (!listed) break;
        stats.lists += 1;
        rv = listed.resourceVersion;
        try {
          options.onList(listed.items, initial);
        } catch {
          // a callback's failure must not end the loop
        }
        initial = false;
        failures = 0;
        markSynced();
      }
      const started = performance.now();
      let result: { end: WatchEnd; rv: string };
      try {
        result = await watchOnce(rv);
      } catch (err: unknown) {
        if (await fail(err)) continue;
        break;
      }
      if (signal.aborted) break;
      rv = result.rv;
      const { end } = result;
      if (end.kind === 'expired') {
        stats.expired += 1;
        rv = undefined;
      } else if (end.kind === 'error') {
        if (!(await fail(end.err))) break;
      } else if (end.delivered || performance.now() - started >= QUICK_END_MS) {
        failures = 0;
      } else if (!(await fail(new Error('watch ended at once without events')))) {
        break;
      }
    }
  };

  const done = loop()
    .catch((err: unknown) => {
      stats.errors += 1;
      stats.lastError = messageOf(err);
    })
    .finally(() => markSynced());
  return { stats: () => ({ ...stats }), synced, done };
}
