import type { ServerResponse } from 'node:http';
import { type ObjectStore, present } from './object-store.js';
import { apiVersionOf, storageKey } from './resource-registry.js';
import type { Matcher } from './selectors.js';
import { badRequest, expired } from './status-error.js';
import type { TimerSet } from './timer-set.js';
import type { KubeObject, ResourceDef, StoreEvent } from './types.js';

export interface WatchParams {
  def: ResourceDef;
  /** Undefined: all namespaces (or a cluster-scoped resource). */
  namespace?: string;
  matcher: Matcher;
  /** As sent: undefined, '' and '0' start with the current state as ADDED events. */
  resourceVersion?: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
}

export interface WatchContext {
  store: ObjectStore;
  timers: TimerSet;
  bookmarkIntervalMs: number;
}

export interface OpenWatch {
  /** Ends the stream (the client sees the connection close). */
  end(): void;
}

type Outgoing = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject };

/**
 * Translates a store write for one watch: a MODIFIED that moves an object into the selector is an
 * ADDED, one that moves it out is a DELETED (as the real watch cache does).
 */
export function translate(event: StoreEvent, params: WatchParams): Outgoing | undefined {
  if (event.storageKey !== storageKey(params.def)) return undefined;
  const inScope = (o: KubeObject) =>
    params.namespace === undefined || o.metadata.namespace === params.namespace;
  const matches = (o: KubeObject) => inScope(o) && params.matcher(o);
  const object = present(params.def, event.object);
  const now = matches(event.object);
  if (event.type !== 'MODIFIED') return now ? { type: event.type, object } : undefined;
  const before = event.previous ? matches(event.previous) : now;
  if (now && before) return { type: 'MODIFIED', object };
  if (now) return { type: 'ADDED', object };
  if (before) return { type: 'DELETED', object };
  return undefined;
}

function parseResourceVersion(text: string | undefined): number | undefined {
  if (text === undefined || text === '' || text === '0') return undefined;
  if (!/^\d+$/.test(text)) throw badRequest(`invalid resource version: "${text}"`);
  return Number(text);
}

/**
 * Serves `?watch=1` as newline-delimited JSON events: the history after `resourceVersion` (or the
 * current objects as ADDED), then live writes; an ERROR event with a 410 Status when that history
 * is gone; BOOKMARKs every `bookmarkIntervalMs` when allowed. Throws (before answering) on a bad
 * resourceVersion.
 */
export function serveWatch(res: ServerResponse, params: WatchParams, ctx: WatchContext): OpenWatch {
  const from = parseResourceVersion(params.resourceVersion);
  const replay = from === undefined ? [] : ctx.store.eventsAfter(from);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  const send = (type: string, object: unknown) => {
    if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  if (from !== undefined && replay === undefined) {
    send('ERROR', expired(from, ctx.store.oldestResourceVersion).toStatus());
    res.end();
    return { end: () => {} };
  }

  const bookmark = (annotations?: Record<string, string>) =>
    send('BOOKMARK', {
      kind: params.def.kind,
      apiVersion: apiVersionOf(params.def),
      metadata: {
        resourceVersion: String(ctx.store.resourceVersion),
        ...(annotations ? { annotations } : {}),
      },
    });

  if (from === undefined) {
    for (const object of ctx.store.list(params.def, params.namespace, params.matcher)) send('ADDED', object);
    if (params.sendInitialEvents && params.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    for (const event of replay ?? []) {
      const out = translate(event, params);
      if (out) send(out.type, out.object);
    }
  }

  const cleanups: (() => void)[] = [];
  cleanups.push(
    ctx.store.subscribe((event) => {
      const out = translate(event, params);
      if (out) send(out.type, out.object);
    }),
  );
  if (params.allowBookmarks) cleanups.push(ctx.timers.interval(() => bookmark(), ctx.bookmarkIntervalMs));
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    for (const cleanup of cleanups) cleanup();
    if (!res.writableEnded) res.end();
  };
  if (params.timeoutSeconds !== undefined && params.timeoutSeconds > 0) {
    cleanups.push(ctx.timers.timeout(end, params.timeoutSeconds * 1000));
  }
  res.on('close', end);
  return { end };
}
