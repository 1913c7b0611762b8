import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AbortedError, InfraError, TimeoutError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { type BackendState, FrontDoorBackend } from './front-door-backend.js';
import { answer, forward } from './front-door-proxy.js';

export type { BackendState } from './front-door-backend.js';

export interface FrontDoorOptions {
  logger: Logger;
  /** Path of the replicas' readiness endpoint, e.g. `/-/readiness`; 2xx means ready. */
  readinessPath: string;
  /** Pause between the end of one readiness probe and the start of the next. Default 100. */
  readinessIntervalMs?: number;
  /** A probe without an answer within this fails. Default 1000. */
  probeTimeoutMs?: number;
  /** Failed probes in a row that take a ready backend out of rotation. Default 2. */
  failureThreshold?: number;
  /** Longest wait for an upstream's response headers, and between body chunks; then 504. Default 30000. */
  upstreamTimeoutMs?: number;
  /** Idle upstream keep-alive sockets are closed after this. Default 1000. */
  upstreamIdleTimeoutMs?: number;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a locally run product's replicas, like a Kubernetes
 * Service whose endpoints follow readiness. Requests are spread round-robin over the backends
 * that passed their readiness probe and are not draining.
 */
export interface FrontDoor extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Registers a replica and starts probing it; it gets traffic once a probe passes. Ids are unique. */
  addBackend(id: string, url: string): void;
  /**
   * Connection draining: takes the backend out of rotation at once, waits (at most
   * `drainTimeoutMs`, default 10 s) for its in-flight requests, then stops probing and closes
   * the upstream pool. Stop the replica's process after this resolves. Unknown ids are ignored.
   */
  removeBackend(id: string, opts?: { drainTimeoutMs?: number }): Promise<void>;
  backends(): BackendState[];
  /** Resolves once the backend is in rotation; TimeoutError after `timeoutMs`, AbortedError on `signal`. */
  waitReady(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Closes the listener, every client connection, the probes and the pools. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

export async function startFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const logger = options.logger.child({ component: 'front-door' });
  const members = new Map<string, FrontDoorBackend>();
  let nextIndex = 0;
  let closing: Promise<void> | undefined;

  const pick = (): FrontDoorBackend | undefined => {
    const candidates = [...members.values()].filter((m) => m.inRotation);
    if (candidates.length === 0) return undefined;
    nextIndex = (nextIndex + 1) % Number.MAX_SAFE_INTEGER;
    return candidates[nextIndex % candidates.length];
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const backend = closing ? undefined : pick();
    if (!backend) {
      req.resume();
      answer(res, 503, 'no-backend', 'no ready backend to send this request to');
      return;
    }
    // Counted in the same tick as it was picked, so a drain that starts later waits for it.
    backend.acquire();
    void forward(req, res, backend, logger);
  };

  const server = createServer(onRequest);
  server.on('error', (err) => logger.error({ err }, 'front door listener failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url }, 'front door listening');

  const removeMember = async (member: FrontDoorBackend, drainTimeoutMs: number): Promise<void> => {
    member.startDraining();
    const idle = await member.whenIdle(drainTimeoutMs);
    if (!idle && !member.isStopped) {
      logger.warn(
        { backend: member.id, inFlight: member.inFlight, drainTimeoutMs },
        'backend still had requests in flight when its drain timed out; aborting them',
      );
    }
    await member.stop(idle);
    if (members.get(member.id) === member) members.delete(member.id);
    logger.info({ backend: member.id }, 'backend removed');
  };

  const frontDoor: FrontDoor = {
    url,
    port,

    addBackend(id, backendUrl) {
      if (closing) throw new InfraError(`front door is closed; cannot add backend ${id}`);
      if (members.has(id)) throw new InfraError(`front door already has a backend named ${id}`);
      const member = new FrontDoorBackend({
        id,
        url: backendUrl,
        logger,
        readinessPath: options.readinessPath,
        readinessIntervalMs: options.readinessIntervalMs ?? 100,
        probeTimeoutMs: options.probeTimeoutMs ?? 1_000,
        failureThreshold: options.failureThreshold ?? 2,
        upstreamTimeoutMs: options.upstreamTimeoutMs ?? 30_000,
        upstreamIdleTimeoutMs: options.upstreamIdleTimeoutMs ?? 1_000,
      });
      members.set(id, member);
      logger.info({ backend: id, url: backendUrl }, 'backend added, waiting for its readiness probe');
      member.startProbing();
    },

    removeBackend(id, opts) {
      const member = members.get(id);
      if (!member) return Promise.resolve();
      member.removal ??= removeMember(member, opts?.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
      return member.removal;
    },

    backends() {
      return [...members.values()].map((m) => m.state());
    },

    waitReady(id, timeoutMs, signal) {
      const member = members.get(id);
      if (!member) return Promise.reject(new InfraError(`front door has no backend named ${id}`));
      if (member.inRotation) return Promise.resolve();
      if (signal?.aborted) return Promise.reject(new AbortedError(`waiting for backend ${id} was aborted`));
      return new Promise<void>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          unsubscribe();
          signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          cleanup();
          reject(new AbortedError(`waiting for backend ${id} to become ready was aborted`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new TimeoutError(
              `backend ${id} (${member.url}) did not pass its readiness probe (GET ${options.readinessPath}) ` +
                `within ${timeoutMs} ms; last probe: ${member.lastProbeResult}`,
            ),
          );
        }, timeoutMs);
        const unsubscribe = member.subscribe(() => {
          if (member.inRotation) {
            cleanup();
            resolve();
          } else if (member.isStopped || member.draining) {
            cleanup();
            reject(new InfraError(`backend ${id} was removed before it became ready`));
          }
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },

    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([...members.values()].map((m) => m.stop(false)));
        members.clear();
        await closed;
        logger.info({ url }, 'front door closed');
      })();
      return closing;
    },

    [Symbol.asyncDispose]() {
      return frontDoor.close();
    },
  };
  return frontDoor;
}
