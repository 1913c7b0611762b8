import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Clock, systemClock } from '../common/clock.js';
import { type ScriptMode, type ScriptWindow, validateScript } from './scripted-server-script.js';

export type { ScriptMode, ScriptWindow } from './scripted-server-script.js';

/** When a window's edge actually took effect (ground truth for the analysis). */
export interface ModeTransition {
  /** Index of the window in the script. */
  window: number;
  mode: ScriptMode;
  edge: 'start' | 'end';
  /** t0 + fromMs / toMs: when the script asked for it. */
  plannedAt: number;
  /** When it took effect (epoch ms, same clock as the samples). */
  at: number;
}

export interface ScriptedServerStats {
  requests: number;
  /** TCP connections accepted. */
  connections: number;
  /** Requests answered 503 because of an `interleave` window. */
  interleaved503: number;
  /** Requests reset before any answer (`reset`). */
  resets: number;
  /** Answers cut off after their headers and half their body (`reset-mid`); not in byStatus/byVersion. */
  midResponseResets: number;
  hung: number;
  /** Requests held by a `delay` window, and the longest hold (arrival to answer), ms. */
  delayed: number;
  delayedMaxMs: number;
  /** Completed answers by status and by version. */
  byStatus: Record<number, number>;
  byVersion: Record<string, number>;
}

/** What the server did, as plain data (sent from a child process to the test, see scripted-server-main.ts). */
export interface ScriptedServerState {
  transitions: ModeTransition[];
  stats: ScriptedServerStats;
  /** Messages of `errors`. */
  errors: string[];
  currentVersion: string;
  storedKeys: number;
}

export interface ScriptedServerOptions {
  script?: ScriptWindow[];
  initialVersion?: string;
  clock?: Clock;
}

/**
 * A real HTTP server on 127.0.0.1 (OS-chosen port) that follows a script of outages. Any GET
 * answers `{"version": ...}` with header `x-app-version`; `POST <any>` with a JSON body
 * `{"key": ...}` stores the key (201); `GET /items/<key>` answers 200 when stored, else 404.
 */
export class ScriptedServer implements AsyncDisposable {
  readonly stats: ScriptedServerStats = {
    requests: 0,
    byStatus: {},
    connections: 0,
    interleaved503: 0,
    resets: 0,
    midResponseResets: 0,
    hung: 0,
    delayed: 0,
    delayedMaxMs: 0,
    byVersion: {},
  };
  readonly transitions: ModeTransition[] = [];
  /** Keys stored by POSTs; tests may delete some to simulate lost writes. */
  readonly store = new Set<string>();
  /** Listen errors (e.g. the port was taken while refusing). */
  readonly errors: Error[] = [];

  private readonly clock: Clock;
  private readonly script: ScriptWindow[];
  private readonly active = new Set<number>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly interleaveCounters = new Map<string, number>();
  private server: Server | null = null;
  private version: string;
  private nextVersion: string | null = null;
  private alternate = 0;
  private closed = false;
  private portNumber = 0;

  private constructor(options: ScriptedServerOptions) {
    this.clock = options.clock ?? systemClock;
    this.script = options.script ?? [];
    validateScript(this.script);
    this.version = options.initialVersion ?? '1.0.0';
  }

  static async start(options: ScriptedServerOptions = {}): Promise<ScriptedServer> {
    const s = new ScriptedServer(options);
    await s.listen(0);
    return s;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  /** The version a request arriving now would be answered by (the newer one while mixing). */
  get currentVersion(): string {
    return this.nextVersion ?? this.version;
  }

  /**
   * Arms the script: window times are relative to `t0` (epoch ms on the server's clock). Edges
   * take effect in time order; at equal times an end comes before a start.
   */
  run(t0: number): void {
    const edges: Array<{ at: number; window: number; edge: 'start' | 'end' }> = [];
    this.script.forEach((w, window) => {
      edges.push({ at: t0 + w.fromMs, window, edge: 'start' });
      if (w.toMs !== undefined) edges.push({ at: t0 + w.toMs, window, edge: 'end' });
    });
    edges.sort(
      (a, b) => a.at - b.at || (a.edge === b.edge ? a.window - b.window : a.edge === 'end' ? -1 : 1),
    );
    const next = (i: number): void => {
      const e = edges[i];
      if (!e) return;
      this.at(e.at, () => {
        if (e.edge === 'start') this.begin(e.window, e.at);
        else this.end(e.window, e.at);
        next(i + 1);
      });
    };
    next(0);
  }

  /** Resolves once every edge of the script took effect (or after `timeoutMs`). */
  async scriptDone(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.transitions.length < this.edgeCount && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Number of edges the script has (a window without `toMs` has only a start). */
  get edgeCount(): number {
    return this.script.reduce((n, w) => n + (w.toMs === undefined ? 1 : 2), 0);
  }

  /** A copy of what happened so far, as plain data. */
  state(): ScriptedServerState {
    return structuredClone({
      transitions: this.transitions,
      stats: this.stats,
      errors: this.errors.map((e) => e.message),
      currentVersion: this.currentVersion,
      storedKeys: this.store.size,
    });
  }

  /** Transition of window `window` at its `edge`. */
  transition(window: number, edge: 'start' | 'end'): ModeTransition | undefined {
    return this.transitions.find((t) => t.window === window && t.edge === edge);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await this.stopListening();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs `fn` at `when` on the clock, never before (timers have ms granularity and may fire early). */
  private at(when: number, fn: () => void): void {
    const fire = (): void => {
      if (this.closed) return;
      const left = when - this.clock.now();
      if (left <= 0) fn();
      else if (left < 2) setImmediate(fire);
      else {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          fire();
        }, Math.floor(left) - 1);
        this.timers.add(timer);
      }
    };
    fire();
  }

  private begin(index: number, plannedAt: number): void {
    const w = this.script[index];
    if (!w || this.closed) return;
    if (w.mode === 'refuse') void this.stopListening();
    if (w.mode === 'version') {
      if (w.toMs === undefined) this.version = w.version;
      else this.nextVersion = w.version;
    }
    this.active.add(index);
    this.transitions.push({ window: index, mode: w.mode, edge: 'start', plannedAt, at: this.clock.now() });
  }

  private end(index: number, plannedAt: number): void {
    const w = this.script[index];
    if (!w || this.closed) return;
    this.active.delete(index);
    if (w.mode === 'version') {
      this.version = w.version;
      this.nextVersion = null;
    }
    if (w.mode === 'refuse') {
      // The port is bound and listening once listen() returns; 'listening' only follows on nextTick.
      void this.listen(this.portNumber).catch((err: unknown) => {
        this.errors.push(err instanceof Error ? err : new Error(String(err)));
      });
    }
    this.transitions.push({ window: index, mode: w.mode, edge: 'end', plannedAt, at: this.clock.now() });
  }

  private listen(port: number): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 10_000;
    server.on('connection', (socket: Socket) => {
      this.stats.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        if (typeof address === 'object' && address) this.portNumber = address.port;
        resolve();
      });
    });
  }

  private stopListening(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return closed;
  }

  private activeMode(mode: ScriptMode): ScriptWindow | undefined {
    for (const i of this.active) {
      const w = this.script[i];
      if (w?.mode === mode) return w;
    }
    return undefined;
  }

  private servingVersion(): string {
    if (this.nextVersion === null) return this.version;
    this.alternate++;
    return this.alternate % 2 === 1 ? this.nextVersion : this.version;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.stats.requests++;
    const arrivedAt = this.clock.now();
    if (this.activeMode('reset')) {
      this.stats.resets++;
      req.socket.resetAndDestroy();
      return;
    }
    if (this.activeMode('hang')) {
      this.stats.hung++;
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (): void => this.answer(req, res, Buffer.concat(chunks).toString('utf8'));
      if (this.activeMode('reset-mid')) {
        this.resetMidResponse(req, res);
        return;
      }
      const delay = this.activeMode('delay');
      if (delay?.mode !== 'delay') {
        answer();
        return;
      }
      this.stats.delayed++;
      this.at(arrivedAt + delay.delayMs, () => {
        this.stats.delayedMaxMs = Math.max(this.stats.delayedMaxMs, this.clock.now() - arrivedAt);
        answer();
      });
    });
  }

  /** The answer as it is now: 503 in a 503 window or an interleaved failure, else the route's. */
  private answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const version = this.servingVersion();
    if (this.activeMode('503') || this.interleaveFails(req)) {
      this.reply(res, 503, version, { error: 'unavailable' });
      return;
    }
    this.route(req, res, version, body);
  }

  /** Headers and the first half of the body, then the connection is destroyed (FIN, not RST). */
  private resetMidResponse(req: IncomingMessage, res: ServerResponse): void {
    this.stats.midResponseResets++;
    const socket = req.socket;
    const version = this.currentVersion;
    const text = JSON.stringify({ version, path: req.url ?? '/', padding: 'x'.repeat(64) });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-app-version': version,
    });
    res.write(text.slice(0, Math.floor(text.length / 2)), () => socket.destroy());
  }

  private interleaveFails(req: IncomingMessage): boolean {
    const w = this.activeMode('interleave');
    if (w?.mode !== 'interleave') return false;
    const lane = req.headers.connection === 'close' ? 'close' : 'keep-alive';
    const n = (this.interleaveCounters.get(lane) ?? 0) + 1;
    this.interleaveCounters.set(lane, n);
    if (n % w.every !== 0) return false;
    this.stats.interleaved503++;
    return true;
  }

  private route(req: IncomingMessage, res: ServerResponse, version: string, body: string): void {
    const path = req.url ?? '/';
    if (req.method === 'POST') {
      let key: unknown;
      try {
        key = (JSON.parse(body) as { key?: unknown }).key;
      } catch {
        key = undefined;
      }
      if (typeof key !== 'string') {
        this.reply(res, 400, version, { error: 'key missing' });
        return;
      }
      this.store.add(key);
      this.reply(res, 201, version, { key });
      return;
    }
    if (path.startsWith('/items/')) {
      const key = decodeURIComponent(path.slice('/items/'.length));
      if (this.store.has(key)) this.reply(res, 200, version, { key });
      else this.reply(res, 404, version, { error: 'not found' });
      return;
    }
    this.reply(res, 200, version, { version, path });
  }

  private reply(res: ServerResponse, status: number, version: string, body: Record<string, unknown>): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
    this.stats.byVersion[version] = (this.stats.byVersion[version] ?? 0) + 1;
    const text = JSON.stringify({ ...body, version });
    res.writeHead(status, { 'content-type': 'application/json', 'x-app-version': version });
    res.end(text);
  }
}
