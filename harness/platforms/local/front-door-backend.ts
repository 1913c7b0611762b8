import { Pool } from 'undici';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';

/** What `FrontDoor.backends()` reports about one backend. */
export interface BackendState {
  id: string;
  url: string;
  /** Its readiness probe passed (and has not failed `failureThreshold` times in a row since). */
  ready: boolean;
  /** `removeBackend` was called: it gets no new requests and waits for `inFlight` to reach 0. */
  draining: boolean;
  /** Proxied requests sent to it whose response has not ended yet. */
  inFlight: number;
}

export interface BackendOptions {
  id: string;
  url: string;
  logger: Logger;
  readinessPath: string;
  readinessIntervalMs: number;
  probeTimeoutMs: number;
  failureThreshold: number;
  upstreamTimeoutMs: number;
  /** Idle upstream sockets are closed after this, well before any sane server's own idle timeout. */
  upstreamIdleTimeoutMs: number;
}

/**
 * One upstream replica: its keep-alive pool, its readiness probe loop and its in-flight count.
 * The front door owns it; nothing here decides routing.
 */
export class FrontDoorBackend {
  readonly id: string;
  readonly url: string;
  readonly pool: Pool;
  ready = false;
  draining = false;
  inFlight = 0;
  /** Set by the front door when `removeBackend` starts, so a second call waits for the same removal. */
  removal: Promise<void> | undefined;
  private stopped = false;
  private failuresInARow = 0;
  private lastProbe = 'not probed yet';
  private probeTimer: NodeJS.Timeout | undefined;
  private probeAbort: AbortController | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly idleListeners = new Set<() => void>();
  private readonly options: BackendOptions;
  private readonly logger: Logger;

  constructor(options: BackendOptions) {
    this.options = options;
    this.id = options.id;
    this.url = options.url;
    this.logger = options.logger.child({ backend: options.id, url: options.url });
    this.pool = new Pool(options.url, {
      connections: null,
      pipelining: 1,
      keepAliveTimeout: options.upstreamIdleTimeoutMs,
      keepAliveMaxTimeout: options.upstreamIdleTimeoutMs,
      headersTimeout: options.upstreamTimeoutMs,
      bodyTimeout: options.upstreamTimeoutMs,
      connect: { timeout: Math.min(options.upstreamTimeoutMs, 10_000) },
    });
  }

  /** Receives new requests: probe passed, not draining, not stopped. */
  get inRotation(): boolean {
    return this.ready && !this.draining && !this.stopped;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  get lastProbeResult(): string {
    return this.lastProbe;
  }

  state(): BackendState {
    return {
      id: this.id,
      url: this.url,
      ready: this.ready,
      draining: this.draining,
      inFlight: this.inFlight,
    };
  }

  /** Calls `listener` after every change of `inRotation` or when the backend stops. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the probe loop; the first probe runs at once. */
  startProbing(): void {
    void this.probeLoop();
  }

  acquire(): void {
    this.inFlight += 1;
  }

  release(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0) for (const listener of [...this.idleListeners]) listener();
  }

  /** Takes the backend out of rotation for good; in-flight requests continue. */
  startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.notify();
  }

  /** Resolves true when no request is in flight, false when `timeoutMs` passed first or it stopped. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.idleListeners.delete(onIdle);
        resolve(idle);
      };
      const onIdle = () => done(this.inFlight === 0);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.idleListeners.add(onIdle);
    });
  }

  /**
   * Stops probing and closes the pool. `graceful` lets idle keep-alive sockets close cleanly;
   * otherwise (drain timed out, front door closing) open requests are aborted.
   */
  async stop(graceful: boolean): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
      this.probeAbort?.abort();
      for (const listener of [...this.idleListeners]) listener();
      this.notify();
    }
    if (this.pool.destroyed) return;
    if (graceful && !this.pool.closed) {
      // The only requests left are aborted probes, so close() finishes at once; the bound is a safety net.
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        this.pool.close().then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), 1_000);
        }),
      ]);
      clearTimeout(timer);
      if (closed) return;
    }
    await this.pool.destroy();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private async probeLoop(): Promise<void> {
    if (this.stopped) return;
    const passed = await this.probeOnce();
    if (this.stopped) return;
    this.record(passed);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probeLoop();
    }, this.options.readinessIntervalMs);
  }

  private record(passed: boolean): void {
    if (passed) {
      this.failuresInARow = 0;
      if (!this.ready) {
        this.ready = true;
        this.logger.info('backend passed its readiness probe, in rotation');
        this.notify();
      }
      return;
    }
    this.failuresInARow += 1;
    if (this.ready && this.failuresInARow >= this.options.failureThreshold) {
      this.ready = false;
      this.logger.warn({ probe: this.lastProbe }, 'backend failed its readiness probe, out of rotation');
      this.notify();
    }
  }

  private async probeOnce(): Promise<boolean> {
    const abort = new AbortController();
    this.probeAbort = abort;
    const timer = setTimeout(() => abort.abort(), this.options.probeTimeoutMs);
    try {
      const response = await this.pool.request({
        method: 'GET',
        path: this.options.readinessPath,
        headers: { 'user-agent': 'upgrade-harness-front-door-probe' },
        signal: abort.signal,
        headersTimeout: this.options.probeTimeoutMs,
        bodyTimeout: this.options.probeTimeoutMs,
      });
      await response.body.dump();
      this.lastProbe = `HTTP ${response.statusCode}`;
      return response.statusCode >= 200 && response.statusCode < 300;
    } catch (err: unknown) {
      this.lastProbe = abort.signal.aborted
        ? `no answer within ${this.options.probeTimeoutMs} ms`
        : errorMessage(err);
      return false;
    } finally {
      clearTimeout(timer);
      if (this.probeAbort === abort) this.probeAbort = undefined;
    }
  }
}
