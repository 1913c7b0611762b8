import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { handleResource, PATCH_TYPES } from './http-handlers.js';
import { parseRoute } from './http-routes.js';
import type { ObjectStore } from './object-store.js';
import { PodLogs } from './pod-logs.js';
import { type PortForwardServer, refuseUpgrade } from './port-forward-server.js';
import { decodeProtobufBody, PROTOBUF_TYPE } from './protobuf-body.js';
import type { ResourceRegistry } from './resource-registry.js';
import { matchesAll, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { badRequest, KubeStatusError, unauthorized } from './status-error.js';
import type { TimerSet } from './timer-set.js';
import type { RequestEvent } from './types.js';
import { type OpenWatch, serveWatch } from './watch-stream.js';

/** An answer the fake gives instead of serving a matching request (to test error handling). */
export interface FaultRule {
  method?: string;
  /** A string matches the exact path; a RegExp is tested against it. */
  path?: string | RegExp;
  status: number;
  reason?: string;
  message?: string;
  /** How many requests it answers; default 1, Infinity for all. */
  times?: number;
}

export interface HttpServerDeps {
  token: string;
  store: ObjectStore;
  registry: ResourceRegistry;
  timers: TimerSet;
  bookmarkIntervalMs: number;
  kubernetesVersion: string;
  maxBodyBytes: number;
  maxRequestLog: number;
  now: () => number;
  /** Requests without an Authorization header pass (a wrong token is still a 401). */
  allowAnonymous: boolean;
  /** Serve HTTPS with this PEM key and certificate. */
  tls?: { key: string; cert: string };
  /** Serves upgrade requests to pods/portforward (WebSocket). */
  portForward?: PortForwardServer;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function mediaType(req: IncomingMessage): string | undefined {
  const header = req.headers['content-type'];
  return header ? header.split(';')[0]?.trim().toLowerCase() : undefined;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new KubeStatusError(413, 'RequestEntityTooLarge', 'request entity too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (contentType === PROTOBUF_TYPE) return decodeProtobufBody(raw);
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return contentType === PATCH_TYPES.apply ? parseYaml(text) : JSON.parse(text);
  } catch (err: unknown) {
    throw badRequest(
      `the request body could not be decoded: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The HTTP side of the fake: auth, routing, Status errors, watches, a request log and faults. */
export class KubeHttpServer {
  readonly requests: RequestEvent[] = [];
  /** Container logs that `GET .../pods/{name}/log` serves (FakeKube.setPodLog). */
  readonly podLogs = new PodLogs();
  private readonly faults: (FaultRule & { left: number })[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<OpenWatch>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly deps: HttpServerDeps,
    readonly url: string,
  ) {}

  static async listen(deps: HttpServerDeps): Promise<KubeHttpServer> {
    const server: Server = deps.tls
      ? createTlsServer({ key: deps.tls.key, cert: deps.tls.cert })
      : createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const instance = new KubeHttpServer(server, deps, `${deps.tls ? 'https' : 'http'}://127.0.0.1:${port}`);
    server.on('connection', (socket: Socket) => {
      instance.sockets.add(socket);
      socket.on('close', () => instance.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      instance.handle(req, res).catch(() => {
        if (!res.headersSent && !res.destroyed) res.writeHead(500);
        res.end();
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      instance.upgrade(req, socket, head);
    });
    return instance;
  }

  addFault(rule: FaultRule): void {
    this.faults.push({ ...rule, left: rule.times ?? 1 });
  }

  /** Ends open watches, destroys every socket and stops listening. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watch of [...this.watches]) watch.end();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await done;
  }

  private record(
    req: IncomingMessage,
    url: URL,
    contentType: string | undefined,
    body: unknown,
    status: number,
    at: number,
  ): void {
    if (this.requests.length >= this.deps.maxRequestLog) this.requests.shift();
    this.requests.push({
      method: req.method ?? 'GET',
      path: safeDecode(url.pathname),
      query: Object.fromEntries(url.searchParams),
      ...(contentType ? { contentType } : {}),
      ...(body !== undefined ? { body } : {}),
      status,
      at,
    });
  }

  private takeFault(method: string, path: string): FaultRule | undefined {
    const fault = this.faults.find(
      (f) =>
        f.left > 0 &&
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? f.path === path : f.path.test(path))),
    );
    if (fault) fault.left -= 1;
    return fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = this.deps.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const contentType = mediaType(req);
    let body: unknown;
    const answer = (status: number, payload: unknown, text = false) => {
      this.record(req, url, contentType, body, status, at);
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, text ? { 'Content-Type': 'text/plain' } : JSON_HEADERS);
      res.end(text ? String(payload) : JSON.stringify(payload));
    };
    try {
      body = parseBody(await readBody(req, this.deps.maxBodyBytes), contentType);
      const auth = req.headers.authorization;
      const anonymous = auth === undefined && this.deps.allowAnonymous;
      if (!anonymous && auth !== `Bearer ${this.deps.token}`) throw unauthorized();
      const fault = this.takeFault(method, safeDecode(url.pathname));
      if (fault) {
        const reason = fault.reason ?? 'InternalError';
        throw new KubeStatusError(
          fault.status,
          reason,
          fault.message ?? `injected fault (${fault.status} ${reason})`,
        );
      }
      const route = parseRoute(url.pathname, {
        registry: this.deps.registry,
        serverAddress: url.host,
        kubernetesVersion: this.deps.kubernetesVersion,
      });
      if (route.type !== 'resource') {
        if (method !== 'GET') throw new KubeStatusError(405, 'MethodNotAllowed', 'only GET is allowed here');
        answer(200, route.body, route.type === 'text');
        return;
      }
      if (method === 'GET' && route.subresource === 'log' && route.def.kind === 'Pod' && !route.def.group) {
        const { namespace = '', name = '' } = route;
        answer(200, this.podLogs.read(this.deps.store, namespace, name, url.searchParams), true);
        return;
      }
      const watchParam = url.searchParams.get('watch');
      if (method === 'GET' && (route.watchPath || watchParam === 'true' || watchParam === '1')) {
        this.startWatch(req, res, url, route);
        this.record(req, url, contentType, body, 200, at);
        return;
      }
      const result = handleResource(
        {
          method,
          def: route.def,
          query: url.searchParams,
          body,
          ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
          ...(route.name !== undefined ? { name: route.name } : {}),
          ...(route.subresource !== undefined ? { subresource: route.subresource } : {}),
          ...(contentType ? { contentType } : {}),
        },
        this.deps.store,
        this.deps.now(),
      );
      answer(result.status, result.body);
    } catch (err: unknown) {
      const status =
        err instanceof KubeStatusError
          ? err
          : new KubeStatusError(
              500,
              'InternalError',
              `fake-kube: ${err instanceof Error ? err.message : String(err)}`,
            );
      answer(status.code, status.toStatus());
    }
  }

  /** Upgrade requests (WebSocket): the same auth and faults as other requests, then pods/portforward. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const at = this.deps.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = safeDecode(url.pathname);
    try {
      const auth = req.headers.authorization;
      const anonymous = auth === undefined && this.deps.allowAnonymous;
      if (!anonymous && auth !== `Bearer ${this.deps.token}`) throw unauthorized();
      const fault = this.takeFault((req.method ?? 'GET').toUpperCase(), path);
      if (fault) {
        const reason = fault.reason ?? 'InternalError';
        throw new KubeStatusError(
          fault.status,
          reason,
          fault.message ?? `injected fault (${fault.status} ${reason})`,
        );
      }
      if (!this.deps.portForward) throw new KubeStatusError(404, 'NotFound', 'no upgrade is served here');
      const status = this.deps.portForward.upgrade(req, socket, head, path, url.searchParams);
      this.record(req, url, undefined, undefined, status, at);
    } catch (err: unknown) {
      const status =
        err instanceof KubeStatusError
          ? err
          : new KubeStatusError(
              500,
              'InternalError',
              `fake-kube: ${err instanceof Error ? err.message : String(err)}`,
            );
      this.record(req, url, undefined, undefined, status.code, at);
      refuseUpgrade(socket, status.toStatus());
    }
  }

  private startWatch(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: Extract<ReturnType<typeof parseRoute>, { type: 'resource' }>,
  ): void {
    const q = url.searchParams;
    const fieldSelector = q.get('fieldSelector') ?? undefined;
    const matcher = matchesAll(
      parseLabelSelector(q.get('labelSelector') ?? undefined),
      parseFieldSelector(route.name !== undefined ? `metadata.name=${route.name}` : fieldSelector),
      parseFieldSelector(route.name !== undefined ? fieldSelector : undefined),
    );
    const timeout = Number(q.get('timeoutSeconds') ?? '0');
    const watch = serveWatch(
      res,
      {
        def: route.def,
        matcher,
        allowBookmarks: q.get('allowWatchBookmarks') === 'true',
        sendInitialEvents: q.get('sendInitialEvents') === 'true',
        ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
        ...(q.has('resourceVersion') ? { resourceVersion: q.get('resourceVersion') ?? '' } : {}),
        ...(timeout > 0 ? { timeoutSeconds: timeout } : {}),
      },
      { store: this.deps.store, timers: this.deps.timers, bookmarkIntervalMs: this.deps.bookmarkIntervalMs },
    );
    this.watches.add(watch);
    req.socket.once('close', () => this.watches.delete(watch));
    res.once('close', () => this.watches.delete(watch));
  }
}
