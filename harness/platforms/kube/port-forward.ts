/**
 * Traffic into a cluster without an ingress: a local listener on 127.0.0.1 whose every accepted
 * connection is tunnelled (client-node `PortForward`, the API server's pods/portforward over
 * WebSocket) to a ready pod behind the Service.
 *
 * Why not `kubectl port-forward svc/x`: it resolves the Service to ONE pod when it starts and
 * forwards only to that pod; when a rolling upgrade deletes the pod, the forward dies and every
 * later connection is refused until someone restarts it. That measures the tool, not the product.
 * Here each new connection picks a ready pod again (pods kept current by a list+watch), so
 * traffic follows the rollout the way it would through the Service.
 *
 * Limits (this is not kube-proxy):
 * - Pods are chosen per TCP connection (round-robin over ready pods), not per packet or request.
 * - A keep-alive connection stays on its pod until that pod goes away; then the tunnel ends with
 *   an error, the connection is reset, and the load driver reconnects (to a ready pod). That
 *   measures like a Service whose pods go away without connection draining: requests in flight on
 *   a deleted pod fail, as they would on a real cluster without graceful termination.
 * - A pod the watch has not yet seen deleted may be picked; the open then fails (404) and the next
 *   ready pod is tried, a few times at most, before the client's data is touched.
 * - Every tunnel is one WebSocket through the API server: fine for a few hundred connections per
 *   second, not a throughput benchmark. A client half-close (TCP FIN) closes the tunnel.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { CoreV1Api, PortForward } from '@kubernetes/client-node';
import { AbortedError, errorMessage, InfraError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { type KubeItem, type ListResult, runListWatch } from '../../observe/list-watch.js';
import type { KubeTarget } from '../platform.js';
import { apiErrorText } from './api-errors.js';
import { loadKubeConfig } from './load-kubeconfig.js';
import {
  backendOf,
  bounded,
  entryOf,
  messageOf,
  type PodEntry,
  readService,
} from './port-forward-backend.js';

export interface ServiceForwardOptions {
  target: KubeTarget;
  namespace: string;
  /** The Service's name and port (its targetPort is resolved to the pods' port). */
  service: string;
  port: number;
  logger: Logger;
  /** Aborting it closes the listener and every tunnel. */
  signal?: AbortSignal;
}

export interface ServiceForwardStats {
  /** Connections accepted / tunnelled / refused because no pod was ready. */
  accepted: number;
  tunnelled: number;
  noReadyPod: number;
  /** Tunnels that failed on the pod's side: it went away mid-connection, or was gone or not running at the open. */
  errors: number;
  /**
   * Connections reset because the API server failed every tunnel open (no answer, 5xx, 401/403):
   * the harness's path failed, not the product.
   */
  apiErrors: number;
}

export interface ServiceForward extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  stats(): ServiceForwardStats;
  /** Stops accepting, ends open tunnels; idempotent. */
  close(): Promise<void>;
}

/** Pods tried per connection before it is reset (the watch may lag a deletion by a moment). */
const MAX_OPEN_ATTEMPTS = 3;
/** Bound on one tunnel's WebSocket handshake with the API server. */
const OPEN_TIMEOUT_MS = 10_000;
/** Bound on a pod list when the watch has given up. */
const LIST_TIMEOUT_MS = 5_000;
/** At most one debug line per this interval about refusals and tunnel errors. */
const LOG_INTERVAL_MS = 5_000;
const MAX_ERROR_TEXT = 500;
/** Bound on each step of the start (the Service read, the first pod list): a stalled API fails the start. */
const START_TIMEOUT_MS = 30_000;

type Tunnel = Exclude<Awaited<ReturnType<PortForward['portForward']>>, () => unknown>;

/**
 * Reads the Service, starts watching its pods and listens on 127.0.0.1:0. Throws UsageError for a
 * missing Service, port or selector, InfraError when the API cannot be reached.
 */
export async function startServiceForward(options: ServiceForwardOptions): Promise<ServiceForward> {
  const { namespace, service, port, logger, signal } = options;
  if (signal?.aborted) throw new AbortedError();
  const where = `${namespace}/${service}`;
  const kc = loadKubeConfig(options.target);
  const core = kc.makeApiClient(CoreV1Api);
  const svc = await bounded(
    readService(core, namespace, service),
    START_TIMEOUT_MS,
    `reading Service ${where}`,
  );
  const { labelSelector, targetPort } = backendOf(svc, where, port);

  const stats: ServiceForwardStats = { accepted: 0, tunnelled: 0, noReadyPod: 0, errors: 0, apiErrors: 0 };
  const pods = new Map<string, PodEntry>();
  const tunnels = new Set<Tunnel>();
  const clients = new Set<Socket>();
  const handlers = new Set<Promise<void>>();
  const watchStop = new AbortController();
  let closed = false;
  let watching = true;
  let cursor = 0;
  let lastLogAt = 0;
  let suppressed = 0;

  const note = (message: string, fields: Record<string, unknown>) => {
    const now = Date.now();
    if (now - lastLogAt < LOG_INTERVAL_MS) {
      suppressed += 1;
      return;
    }
    logger.debug({ service: where, ...fields, suppressedBefore: suppressed, stats: { ...stats } }, message);
    lastLogAt = now;
    suppressed = 0;
  };
  const replacePods = (items: KubeItem[]) => {
    pods.clear();
    for (const item of items) {
      const entry = entryOf(item, targetPort);
      if (entry) pods.set(entry.name, entry);
    }
  };
  const listPods = async (): Promise<ListResult> => {
    const list = await core.listNamespacedPod({ namespace, labelSelector });
    return {
      items: list.items as unknown as KubeItem[],
      resourceVersion: list.metadata?.resourceVersion ?? '',
    };
  };

  /** When the watch has given up: a bounded list per connection keeps the pods current. */
  const refreshByList = async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), LIST_TIMEOUT_MS);
    });
    try {
      const listed = await Promise.race([listPods(), timeout]);
      if (listed) replacePods(listed.items);
    } catch (err: unknown) {
      note('port-forward: pod list failed', { error: apiErrorText(err) });
    } finally {
      clearTimeout(timer);
    }
  };

  const pick = (tried: Set<string>): PodEntry | undefined => {
    const candidates = [...pods.values()]
      .filter((p) => p.ready && p.port !== undefined && !tried.has(p.name))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (candidates.length === 0) return undefined;
    const chosen = candidates[cursor % candidates.length];
    cursor += 1;
    return chosen;
  };

  /** Opens a tunnel to `pod` and pipes `client` through it; rejects (client untouched) if the open fails. */
  const openTunnel = async (client: Socket, pod: PodEntry, podPortNumber: number): Promise<void> => {
    let errorText = '';
    let tunnel: Tunnel | undefined;
    const output = new Writable({
      write(chunk: Buffer, _encoding, done) {
        // A slow client pauses the WebSocket rather than piling the pod's answers up in memory.
        if (client.writable && !client.write(chunk) && tunnel) {
          tunnel.pause();
          client.once('drain', () => tunnel?.resume());
        }
        done();
      },
    });
    const errors = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (errorText.length < MAX_ERROR_TEXT) errorText += chunk.toString('utf8');
        done();
      },
    });
    const pending = new PortForward(kc).portForward(
      namespace,
      pod.name,
      [podPortNumber],
      output,
      errors,
      client,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), OPEN_TIMEOUT_MS);
    });
    let opened: Awaited<typeof pending> | 'timeout';
    try {
      opened = await Promise.race([pending, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (opened === 'timeout') {
      pending.then((late) => (typeof late === 'function' ? undefined : late.terminate())).catch(() => {});
      throw new Error(`no answer from the API server in ${OPEN_TIMEOUT_MS} ms`);
    }
    if (typeof opened === 'function') throw new Error('client-node returned a restartable forward');
    const ws = opened;
    tunnel = ws;
    stats.tunnelled += 1;
    tunnels.add(ws);
    let clientGone = false;
    ws.on('error', (err: Error) => {
      if (errorText === '') errorText = err.message;
    });
    ws.on('close', (code: number) => {
      tunnels.delete(ws);
      if (closed) {
        client.destroy();
        return;
      }
      // 1006: the connection dropped without a close frame (API server or network gone).
      if (errorText !== '' || (code === 1006 && !clientGone)) {
        stats.errors += 1;
        note('port-forward: tunnel ended with an error', {
          pod: pod.name,
          code,
          error: errorText.slice(0, MAX_ERROR_TEXT),
        });
        client.resetAndDestroy();
      } else {
        client.end();
      }
    });
    const onClientClose = () => {
      clientGone = true;
      ws.resume();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
    };
    client.on('close', onClientClose);
    if (closed) ws.terminate();
    else if (client.destroyed) onClientClose();
  };

  const handle = async (client: Socket): Promise<void> => {
    const tried = new Set<string>();
    let lastError = '';
    let apiSide = false;
    for (let attempt = 0; attempt < MAX_OPEN_ATTEMPTS && !closed && !client.destroyed; attempt += 1) {
      if (!watching) await refreshByList();
      const pod = pick(tried);
      if (!pod || pod.port === undefined) break;
      tried.add(pod.name);
      try {
        await openTunnel(client, pod, pod.port);
        return;
      } catch (err: unknown) {
        lastError = messageOf(err);
        if (!isPodSide(lastError)) apiSide = true;
      }
    }
    if (closed || client.destroyed) {
      client.destroy();
      return;
    }
    if (tried.size === 0) {
      stats.noReadyPod += 1;
      note('port-forward: no ready pod; connection refused', { pods: pods.size });
    } else {
      // Pods that went away (404) or do not run (400) are the product's rollout; a silent or failing
      // API server is the harness's path, and must not be charged to the product.
      if (apiSide) stats.apiErrors += 1;
      else stats.errors += 1;
      note('port-forward: could not open a tunnel; connection reset', {
        tried: [...tried],
        error: lastError,
      });
    }
    // A reset at once: the load driver counts it as the Service being down, which it is.
    client.resetAndDestroy();
  };

  const server: Server = createServer((client) => {
    stats.accepted += 1;
    client.on('error', () => {});
    if (closed) {
      client.destroy();
      return;
    }
    clients.add(client);
    client.on('close', () => clients.delete(client));
    const handler = handle(client).catch((err: unknown) => {
      stats.errors += 1;
      note('port-forward: connection handler failed', { error: messageOf(err) });
      client.destroy();
    });
    handlers.add(handler);
    void handler.finally(() => handlers.delete(handler));
  });

  let watchDone: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      signal?.removeEventListener('abort', onAbort);
      watchStop.abort();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const ws of [...tunnels]) ws.terminate();
      for (const client of [...clients]) client.destroy();
      await Promise.all([serverClosed, watchDone, ...handlers]);
      for (const ws of [...tunnels]) ws.terminate();
      logger.debug({ service: where, stats: { ...stats }, suppressed }, 'port-forward: closed');
    })();
    return closing;
  };

  const onAbort = () => {
    void close();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const watch = runListWatch({
    kc,
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
    query: { labelSelector },
    list: listPods,
    onList: replacePods,
    onEvent: (type, item) => {
      const name = item.metadata?.name;
      if (typeof name !== 'string') return;
      const entry = type === 'DELETED' ? undefined : entryOf(item, targetPort);
      if (entry) pods.set(name, entry);
      else pods.delete(name);
    },
    signal: watchStop.signal,
  });
  watchDone = watch.done;
  try {
    await bounded(watch.synced, START_TIMEOUT_MS, `listing the pods of Service ${where}`);
  } catch (err) {
    await close();
    throw err;
  }
  if (watch.stats().lists === 0) {
    await close();
    if (signal?.aborted) throw new AbortedError();
    throw new InfraError(
      `port-forward: cannot list the pods of Service ${where}: ${watch.stats().lastError ?? ''}`,
    );
  }
  void watch.done.then(() => {
    watching = false;
    if (!closed)
      logger.warn(
        { service: where, ...watch.stats() },
        'port-forward: pod watch gave up; listing pods per connection',
      );
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err: unknown) {
    await close();
    throw new InfraError(`port-forward: cannot listen on 127.0.0.1: ${errorMessage(err)}`);
  }
  server.on('error', (err: Error) => note('port-forward: listener error', { error: err.message }));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  logger.debug(
    { service: where, url, labelSelector, targetPort, pods: pods.size },
    'port-forward: listening',
  );
  if (signal?.aborted) await close();

  return {
    url,
    stats: () => ({ ...stats }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A tunnel open that failed because of the pod (gone: 404; not running: 400), not the API server. */
export function isPodSide(message: string): boolean {
  return /Unexpected server response: (404|400)\b/.test(message);
}
