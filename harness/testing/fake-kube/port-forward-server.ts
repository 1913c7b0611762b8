import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { isPlainObject } from './json-util.js';
import type { ObjectStore } from './object-store.js';
import { storageKey } from './resource-registry.js';
import { badRequest, type KubeStatus, KubeStatusError, notFound } from './status-error.js';
import type { KubeObject, ResourceDef, StoreEvent } from './types.js';

/**
 * pods/portforward over WebSocket, as the kubelet serves it behind the API server
 * (kubernetes pkg/kubelet/cri/streaming/portforward/websocket.go): subprotocol
 * `v4.channel.k8s.io` or none (both binary); per requested port two channels, data (2i) and error
 * (2i+1); the server's first frame on each carries the port as 2 bytes little-endian; what the
 * client sends on a data channel goes to the pod's port; when a port's connection ends (or fails:
 * the error text goes on its error channel) and all ports are done, the WebSocket closes.
 * client-node offers v5, v4, v3, v2 and channel.k8s.io in that order; the kubelet picks the first
 * it knows, v4. Not served: `v4.base64.channel.k8s.io` and SPDY (kubectl's protocol, also when
 * tunnelled over WebSocket as `SPDY/3.1+portforward.k8s.io`).
 */

/** A real TCP address a pod's port leads to. */
export interface PortForwardTarget {
  host: string;
  port: number;
}

/** Where `port` of `pod` really goes; undefined: nothing listens there (the forward fails). */
export type PortForwardResolver = (pod: KubeObject, port: number) => PortForwardTarget | undefined;

export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';

const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/;
/** Pause reading a pod's connection while this much is queued on the WebSocket. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

interface PortStream {
  port: number;
  conn?: Socket;
  error?: string;
  done: boolean;
}

interface Tunnel {
  namespace: string;
  pod: string;
  uid: string;
  ws: WebSocket;
  streams: PortStream[];
}

function frame(channel: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.of(channel), payload]);
}

function phaseOf(pod: KubeObject): string {
  return isPlainObject(pod.status) && typeof pod.status.phase === 'string' ? pod.status.phase : 'Pending';
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return (header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** `query parameter "ports"`, repeated and/or comma-separated, as the kubelet parses it. */
function parsePorts(query: URLSearchParams): number[] {
  const values = query.getAll('ports');
  if (values.length === 0) throw badRequest('query parameter "ports" is required');
  const ports: number[] = [];
  for (const value of values) {
    if (value === '') throw badRequest('query parameter "ports" cannot be empty');
    for (const part of value.split(',')) {
      const port = /^\d+$/.test(part) ? Number(part) : Number.NaN;
      if (!(port >= 1 && port <= 65535)) throw badRequest(`unable to parse "${value}" as a port`);
      ports.push(port);
    }
  }
  return ports;
}

/** Answers an upgrade request with an HTTP error instead of switching protocols. */
export function refuseUpgrade(socket: Duplex, status: KubeStatus): void {
  const body = JSON.stringify(status);
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The port-forward endpoint of FakeKube: checks the pod, upgrades, and relays to real TCP targets. */
export class PortForwardServer {
  private resolver: PortForwardResolver = () => undefined;
  private readonly tunnels = new Set<Tunnel>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(PORT_FORWARD_PROTOCOL) ? PORT_FORWARD_PROTOCOL : false),
  });
  private readonly unsubscribe: () => void;
  private readonly podDef: ResourceDef;
  private opened = 0;

  constructor(private readonly store: ObjectStore) {
    const def = store.registry.byPath('', 'v1', 'pods');
    if (!def) throw new Error('fake-kube: pods are not registered');
    this.podDef = def;
    this.unsubscribe = store.subscribe((event) => this.onStoreEvent(event));
  }

  setResolver(resolver: PortForwardResolver): void {
    this.resolver = resolver;
  }

  /** Tunnels open now / opened since start. */
  counts(): { open: number; opened: number } {
    return { open: this.tunnels.size, opened: this.opened };
  }

  static matches(path: string): boolean {
    return PATH.test(path);
  }

  /**
   * Checks the request and upgrades it (returns 101), or throws a KubeStatusError for the caller
   * to answer with: 404 missing pod, 400 bad ports / no node / not a WebSocket, 403 unknown
   * subprotocols, 500 a pod that is not Running.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, query: URLSearchParams): number {
    const [, namespace, name] = PATH.exec(path) ?? [];
    if (!namespace || !name) {
      throw new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource');
    }
    // GET for WebSocket, POST for SPDY (refused below), as the API server routes pods/portforward.
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'POST') {
      throw new KubeStatusError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method (${method}) here`,
      );
    }
    const pod = this.store.get(this.podDef, namespace, name);
    if (!pod) throw notFound(this.podDef, name);
    const spec = isPlainObject(pod.spec) ? pod.spec : {};
    if (typeof spec.nodeName !== 'string' || spec.nodeName === '')
      throw badRequest(`pod ${name} does not have a host assigned`);
    // The API server hands the request to the kubelet, which refuses a pod whose sandbox is not
    // running (containerd: "sandbox container ... is not running", a 500).
    const phase = phaseOf(pod);
    if (phase !== 'Running')
      throw new KubeStatusError(500, 'InternalError', `pod ${name} is not running (phase ${phase})`);
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      throw badRequest(
        'fake-kube serves pods/portforward over WebSocket only (v4.channel.k8s.io); SPDY is not implemented',
      );
    }
    const offered = offeredProtocols(req);
    if (offered.length > 0 && !offered.includes(PORT_FORWARD_PROTOCOL)) {
      throw new KubeStatusError(
        403,
        'Forbidden',
        `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [ ${PORT_FORWARD_PROTOCOL}]`,
      );
    }
    const ports = parsePorts(query);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, pod, ports));
    return 101;
  }

  /** Ends every tunnel at once. */
  close(): void {
    this.unsubscribe();
    for (const tunnel of [...this.tunnels]) {
      for (const stream of tunnel.streams) stream.conn?.destroy();
      tunnel.ws.terminate();
    }
    this.tunnels.clear();
    this.wss.close();
  }

  private open(ws: WebSocket, pod: KubeObject, ports: number[]): void {
    const tunnel: Tunnel = {
      namespace: pod.metadata.namespace ?? '',
      pod: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      ws,
      streams: ports.map((port) => ({ port, done: false })),
    };
    this.tunnels.add(tunnel);
    this.opened += 1;
    ws.on('error', () => {});
    ws.on('close', () => {
      this.tunnels.delete(tunnel);
      for (const stream of tunnel.streams) stream.conn?.destroy();
    });
    ws.on('message', (data: RawData) => {
      if (!Buffer.isBuffer(data) || data.length < 2) return;
      const channel = data[0] ?? 0;
      // Only data channels are writable; the kubelet ignores anything else.
      const stream = channel % 2 === 0 ? tunnel.streams[channel / 2] : undefined;
      const conn = stream?.conn;
      if (!conn || conn.destroyed) return;
      if (!conn.write(data.subarray(1))) {
        ws.pause();
        conn.once('drain', () => ws.resume());
      }
    });
    tunnel.streams.forEach((stream, i) => {
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(stream.port);
      ws.send(frame(2 * i, portBytes));
      ws.send(frame(2 * i + 1, portBytes));
    });
    tunnel.streams.forEach((stream, i) => {
      this.connectStream(tunnel, stream, i, pod);
    });
  }

  private connectStream(tunnel: Tunnel, stream: PortStream, index: number, pod: KubeObject): void {
    const target = this.resolver(pod, stream.port);
    if (!target) {
      this.finish(
        tunnel,
        stream,
        `failed to connect to localhost:${stream.port} inside the pod: connection refused`,
      );
      return;
    }
    const conn = connect({ host: target.host, port: target.port });
    stream.conn = conn;
    let paused = false;
    conn.on('data', (chunk: Buffer) => {
      const { ws } = tunnel;
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame(2 * index, chunk), () => {
        if (!paused) return;
        paused = false;
        conn.resume();
      });
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        paused = true;
        conn.pause();
      }
    });
    conn.on('error', (err: Error) => {
      stream.error ??= err.message;
    });
    conn.on('close', () => this.finish(tunnel, stream, stream.error));
  }

  /** One port's forward ended; the error (if any) goes on its error channel; the last one closes the WebSocket. */
  private finish(tunnel: Tunnel, stream: PortStream, error: string | undefined): void {
    if (stream.done) return;
    stream.done = true;
    const { ws } = tunnel;
    if (error !== undefined && ws.readyState === ws.OPEN) {
      const index = tunnel.streams.indexOf(stream);
      const message = `error forwarding port ${stream.port} to pod ${tunnel.pod}, uid ${tunnel.uid}: ${error}`;
      ws.send(frame(2 * index + 1, Buffer.from(message)));
    }
    if (tunnel.streams.every((s) => s.done) && ws.readyState === ws.OPEN) ws.close(1000);
  }

  /** The kubelet stops a deleted (or no longer running) pod's containers: its forwards end with an error. */
  private onStoreEvent(event: StoreEvent): void {
    if (event.storageKey !== storageKey(this.podDef) || this.tunnels.size === 0) return;
    const pod = event.object;
    const gone = event.type === 'DELETED' || phaseOf(pod) !== 'Running';
    if (!gone) return;
    for (const tunnel of [...this.tunnels]) {
      if (tunnel.namespace !== pod.metadata.namespace || tunnel.pod !== pod.metadata.name) continue;
      if (tunnel.uid !== '' && tunnel.uid !== pod.metadata.uid) continue;
      const why = event.type === 'DELETED' ? 'the pod was deleted' : `the pod is ${phaseOf(pod)}`;
      for (const stream of tunnel.streams) {
        stream.conn?.destroy();
        this.finish(tunnel, stream, `connection reset: ${why}`);
      }
    }
  }
}
