import { Agent, type Dispatcher, Pool } from 'undici';
import type { RunContext } from '../../common/context.js';
import { HarnessError } from '../../common/errors.js';
import type { DataIntegrity } from '../../common/run-record.js';
import type { ConnectionMode, Sample } from '../../common/sample.js';
import type { EndpointConfig } from '../../config/types.js';
import { ArrivalScheduler, type ArrivalStream } from '../arrival-scheduler.js';
import type {
  LedgerCheckOptions,
  LoadDriver,
  LoadProfile,
  LoadSummary,
  LoadTarget,
  RunningLoad,
} from '../load-driver.js';
import { RunningLoadBase } from '../running-load-base.js';
import { classTimeoutMs, longestTimeoutMs, trafficGroups } from '../traffic-plan.js';
import { SmoothWeightedRoundRobin } from '../weighted-round-robin.js';
import { Exchange, type ExchangeSpec, type RequestResult } from './send-request.js';
import { verifyLedger } from './verify-ledger.js';

/** The writer's requests appear in samples as this endpoint, class and connection. */
export const WRITER_ENDPOINT = 'writer';
export const WRITER_CLASS = 'write';
const WRITER_EXPECT_STATUS = [200, 201] as const;

/**
 * Open-model HTTP load on undici. Each connection mode (and the writer) has its own constant-arrival
 * schedule: request i is intended at t0 + i/rate and is dispatched when due, whether or not earlier
 * requests have answered. Latency counts from the intended start, so a slow server cannot slow the
 * load (no coordinated omission). Aborting `ctx.signal` stops scheduling like `maxDurationMs` does;
 * `stop()` must still be called to collect the summary and end `samples()`.
 */
export class BuiltinLoadDriver implements LoadDriver {
  readonly name = 'builtin';

  async start(target: LoadTarget, profile: LoadProfile, ctx: RunContext): Promise<RunningLoad> {
    validate(target, profile);
    const load = new BuiltinRunningLoad(target, profile, ctx);
    load.begin();
    return load;
  }

  /** `GET writer.readPath` per key, round-robin over the base URLs. */
  verifyLedger(
    target: LoadTarget,
    profile: LoadProfile,
    keys: readonly string[],
    options: LedgerCheckOptions,
  ): Promise<DataIntegrity> {
    if (!profile.writer) throw new HarnessError('CONFIG_INVALID', 'builtin load: the profile has no writer');
    return verifyLedger(target.baseUrls, profile.writer.readPath, keys, { ...options, concurrency: 8 });
  }
}

function validate(target: LoadTarget, profile: LoadProfile): void {
  const problems: string[] = [];
  if (target.baseUrls.length === 0) problems.push('target.baseUrls is empty');
  if (!(profile.rate >= 0) || !Number.isFinite(profile.rate))
    problems.push(`rate must be >= 0, got ${profile.rate}`);
  if (profile.rate > 0 && profile.connections.length > 0 && profile.endpoints.length === 0)
    problems.push('no endpoints to send traffic to');
  for (const e of profile.endpoints)
    if (!(e.weight > 0)) problems.push(`endpoint ${e.name}: weight must be > 0`);
  for (const [name, c] of Object.entries(profile.classes ?? {})) {
    if (c.rate !== undefined && !(c.rate > 0 && Number.isFinite(c.rate)))
      problems.push(`class ${name}: rate must be > 0, got ${c.rate}`);
    if (c.timeoutMs !== undefined && !(c.timeoutMs > 0))
      problems.push(`class ${name}: timeoutMs must be > 0, got ${c.timeoutMs}`);
  }
  if (!(profile.timeoutMs > 0)) problems.push(`timeoutMs must be > 0, got ${profile.timeoutMs}`);
  if (!(profile.maxInFlight >= 1)) problems.push(`maxInFlight must be >= 1, got ${profile.maxInFlight}`);
  if (!(profile.maxDurationMs > 0)) problems.push(`maxDurationMs must be > 0, got ${profile.maxDurationMs}`);
  if (profile.writer && !(profile.writer.rate > 0))
    problems.push(`writer.rate must be > 0, got ${profile.writer.rate}`);
  if (problems.length > 0) throw new HarnessError('CONFIG_INVALID', `builtin load: ${problems.join('; ')}`);
}

type Stream =
  | { kind: 'traffic'; connection: ConnectionMode; pick: SmoothWeightedRoundRobin<Target> }
  | { kind: 'writer' };

/** An endpoint with everything a request to it needs, built once. */
interface Target {
  endpoint: EndpointConfig;
  spec: ExchangeSpec;
  timeoutMs: number;
  headers: Record<string, string> | undefined;
  sampler: { reused: string; new: string };
}

/** One base URL: its origin, path prefix and keep-alive pool. */
interface Route {
  origin: string;
  prefix: string;
  reused: Dispatcher;
}

/** What the completion of one request needs to build its sample. */
interface Meta {
  sampler: string;
  endpoint: string;
  endpointClass: string;
  connection: ConnectionMode;
  intendedStartMs: number;
  startMs: number;
  writeKey: string | null;
  timeoutMs: number;
}

const WRITER_HEADERS: Record<string, string> = { 'content-type': 'application/json' };

/**
 * undici's own header/body timers fire from the timers phase too, before an answer that already
 * arrived is read; ours (the sweeper) waits for that I/O. undici's are a backstop a little later.
 */
const UNDICI_TIMEOUT_MARGIN_MS = 1000;

class BuiltinRunningLoad extends RunningLoadBase {
  private readonly inFlight = new Set<Exchange<Meta>>();
  private readonly scheduler: ArrivalScheduler<Stream>;
  private readonly routes: Route[];
  /** A fresh connection per request: no keep-alive, `connection: close` on each request. */
  private readonly fresh: Agent;
  private readonly writerSpec: ExchangeSpec;
  private readonly sweeper: NodeJS.Timeout;
  private expiring: NodeJS.Immediate | null = null;
  private drained: (() => void) | null = null;
  private sent = 0;
  private dropped = 0;
  private routeCounter = 0;
  private writeCounter = 0;

  constructor(
    target: LoadTarget,
    private readonly profile: LoadProfile,
    private readonly ctx: RunContext,
  ) {
    super();
    // Each request's own deadline (its class's timeout) is enforced by the sweeper; connecting may take up to the longest.
    const connect = { timeout: longestTimeoutMs(profile) + UNDICI_TIMEOUT_MARGIN_MS };
    this.routes = target.baseUrls.map((u) => {
      const url = new URL(u);
      return {
        origin: url.origin,
        prefix: url.pathname.replace(/\/+$/, ''),
        reused: new Pool(url.origin, { connect, keepAliveTimeout: 10_000 }),
      };
    });
    // pipelining 0 disables keep-alive; with `reset` (connection: close) each request gets its own socket.
    this.fresh = new Agent({ connect, pipelining: 0 });
    const versionHeader = profile.versionProbe.header?.toLowerCase() ?? null;
    this.writerSpec = {
      expectStatus: WRITER_EXPECT_STATUS,
      versionProbe: profile.versionProbe,
      versionHeader,
    };
    const streams: ArrivalStream<Stream>[] = [];
    for (const group of trafficGroups(profile)) {
      if (!(group.rate > 0)) continue;
      for (const connection of profile.connections) {
        const targets = group.endpoints.map((endpoint) => ({
          item: {
            endpoint,
            spec: { expectStatus: endpoint.expectStatus, versionProbe: profile.versionProbe, versionHeader },
            timeoutMs: classTimeoutMs(profile, endpoint.class),
            headers: endpoint.headers ? { ...endpoint.headers } : undefined,
            sampler: { reused: `${endpoint.name}:reused`, new: `${endpoint.name}:new` },
          },
          weight: endpoint.weight,
        }));
        const pick = new SmoothWeightedRoundRobin(targets);
        streams.push({ ratePerSecond: group.rate, tag: { kind: 'traffic', connection, pick } });
      }
    }
    if (profile.writer) streams.push({ ratePerSecond: profile.writer.rate, tag: { kind: 'writer' } });
    this.scheduler = new ArrivalScheduler<Stream>({
      clock: ctx.clock,
      streams,
      durationMs: profile.maxDurationMs,
      signal: ctx.signal,
      onDue: (stream, intendedStartMs, handedOverMs) => this.dispatch(stream, intendedStartMs, handedOverMs),
      isFull: () => this.inFlight.size >= this.profile.maxInFlight,
      onSkipped: (_stream, count) => {
        this.dropped += count;
      },
    });
    // One coarse timer bounds every exchange by timeoutMs (no timer per request); undici's own
    // connect/headers/body timeouts usually fire first.
    const shortest = Math.min(
      profile.timeoutMs,
      ...Object.values(profile.classes ?? {}).map((c) => c.timeoutMs ?? Infinity),
    );
    const period = Math.max(5, Math.min(100, Math.floor(shortest / 4)));
    this.sweeper = setInterval(this.sweep, period);
    this.sweeper.unref();
  }

  begin(): void {
    this.scheduler.start();
    this.ctx.logger.debug({ rate: this.profile.rate }, 'builtin load started');
  }

  protected async finish(): Promise<LoadSummary> {
    this.scheduler.end();
    // In-flight requests end by themselves within timeoutMs (the sweeper enforces each deadline).
    if (this.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    clearInterval(this.sweeper);
    if (this.expiring) clearImmediate(this.expiring);
    await Promise.allSettled([...this.routes.map((r) => r.reused.close()), this.fresh.close()]);
    const summary = this.scheduler.summarize({
      sent: this.sent,
      dropped: this.dropped,
      acknowledgedKeys: this.acked,
    });
    this.queue.close();
    this.ctx.logger.debug(
      { ...summary, acknowledgedKeys: summary.acknowledgedKeys.length },
      'builtin load stopped',
    );
    return summary;
  }

  private readonly sweep = (): void => {
    if (this.inFlight.size === 0 || this.expiring) return;
    const now = this.ctx.clock.now();
    for (const exchange of this.inFlight) {
      if (now < exchange.deadline) continue;
      // Timers run before pending I/O is read: after a stall of this event loop an answer that came
      // in time may still be unread. Expire only what is still open once that I/O has been handled.
      this.expiring = setImmediate(this.expireOverdue);
      return;
    }
  };

  private readonly expireOverdue = (): void => {
    this.expiring = null;
    const now = this.ctx.clock.now();
    for (const exchange of this.inFlight) if (now >= exchange.deadline) exchange.expire();
  };

  private nextRoute(): Route {
    const route = this.routes[this.routeCounter % this.routes.length] as Route;
    this.routeCounter++;
    return route;
  }

  private dispatch(stream: Stream, intendedStartMs: number, startMs: number): void {
    if (this.inFlight.size >= this.profile.maxInFlight) {
      // The scheduler skips arrivals while full; this catches a slot taken within one hand-over.
      this.dropped++;
      return;
    }
    this.sent++;
    const route = this.nextRoute();
    if (stream.kind === 'traffic') {
      const target = stream.pick.next();
      const { endpoint, timeoutMs } = target;
      const fresh = stream.connection === 'new';
      const opts: Dispatcher.DispatchOptions = {
        origin: route.origin,
        path: route.prefix + endpoint.path,
        method: endpoint.method,
        headers: target.headers,
        body: endpoint.body,
        reset: fresh,
        headersTimeout: timeoutMs + UNDICI_TIMEOUT_MARGIN_MS,
        bodyTimeout: timeoutMs + UNDICI_TIMEOUT_MARGIN_MS,
      };
      const meta: Meta = {
        sampler: fresh ? target.sampler.new : target.sampler.reused,
        endpoint: endpoint.name,
        endpointClass: endpoint.class,
        connection: stream.connection,
        intendedStartMs,
        startMs,
        writeKey: null,
        timeoutMs,
      };
      this.send(fresh ? this.fresh : route.reused, opts, target.spec, meta);
      return;
    }
    const writer = this.profile.writer;
    if (!writer) return;
    this.writeCounter++;
    const timeoutMs = this.profile.timeoutMs;
    const key = `${this.ctx.runId}-${this.ctx.cellId}-w${this.writeCounter}`;
    const opts: Dispatcher.DispatchOptions = {
      origin: route.origin,
      path: route.prefix + writer.path,
      method: 'POST',
      headers: WRITER_HEADERS,
      body: JSON.stringify({ key, title: `harness write ${this.writeCounter}` }),
      headersTimeout: timeoutMs + UNDICI_TIMEOUT_MARGIN_MS,
      bodyTimeout: timeoutMs + UNDICI_TIMEOUT_MARGIN_MS,
    };
    const meta: Meta = {
      sampler: `${WRITER_ENDPOINT}:reused`,
      endpoint: WRITER_ENDPOINT,
      endpointClass: WRITER_CLASS,
      connection: 'reused',
      intendedStartMs,
      startMs,
      writeKey: key,
      timeoutMs,
    };
    this.send(route.reused, opts, this.writerSpec, meta);
  }

  private send(
    dispatcher: Dispatcher,
    opts: Dispatcher.DispatchOptions,
    spec: ExchangeSpec,
    meta: Meta,
  ): void {
    const exchange = new Exchange(spec, meta, meta.startMs + meta.timeoutMs, this.now, this.onDone);
    this.inFlight.add(exchange);
    dispatcher.dispatch(opts, exchange); // errors (even synchronous ones) arrive through onError
  }

  private readonly now = (): number => this.ctx.clock.now();

  private readonly onDone = (exchange: Exchange<Meta>, result: RequestResult): void => {
    if (!this.inFlight.delete(exchange)) return;
    const { meta } = exchange;
    try {
      // Acknowledged = the server answered 2xx, even if the rest of the body was then lost.
      if (
        meta.writeKey !== null &&
        result.status !== undefined &&
        result.status >= 200 &&
        result.status <= 299
      )
        this.acked.push(meta.writeKey);
      const sample: Sample = {
        sampler: meta.sampler,
        endpoint: meta.endpoint,
        endpointClass: meta.endpointClass,
        connection: meta.connection,
        intendedStartMs: meta.intendedStartMs,
        startMs: meta.startMs,
        outcome: result.outcome,
        endMs: result.endMs,
      };
      if (result.status !== undefined) sample.status = result.status;
      if (result.version !== undefined) sample.version = result.version;
      this.queue.push(sample);
    } catch (err: unknown) {
      this.ctx.logger.error({ err }, 'builtin load: request bookkeeping failed');
    }
    // A slot is free and the loop is awake: send what has come due since the last timer tick.
    this.scheduler.poll();
    if (this.inFlight.size === 0 && this.drained) {
      const resolve = this.drained;
      this.drained = null;
      resolve();
    }
  };
}
