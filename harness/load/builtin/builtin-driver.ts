import { build, type Histogram } from 'hdr-histogram-js';
import { Agent, type Dispatcher } from 'undici';
import type { RunContext } from '../../common/context.js';
import { HarnessError } from '../../common/errors.js';
import type { ConnectionMode, Sample } from '../../common/sample.js';
import type { EndpointConfig } from '../../config/types.js';
import type { LoadDriver, LoadProfile, LoadSummary, LoadTarget, RunningLoad } from '../load-driver.js';
import { SampleQueue } from '../sample-queue.js';
import { SmoothWeightedRoundRobin } from '../weighted-round-robin.js';
import { sendRequest } from './send-request.js';

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
}

function validate(target: LoadTarget, profile: LoadProfile): void {
  const problems: string[] = [];
  if (target.baseUrls.length === 0) problems.push('target.baseUrls is empty');
  if (!(profile.rate >= 0) || !Number.isFinite(profile.rate))
    problems.push(`rate must be >= 0, got ${profile.rate}`);
  if (profile.rate > 0 && profile.connections.length > 0) {
    if (profile.endpoints.length === 0) problems.push('no endpoints to send traffic to');
    for (const e of profile.endpoints)
      if (!(e.weight > 0)) problems.push(`endpoint ${e.name}: weight must be > 0`);
  }
  if (!(profile.timeoutMs > 0)) problems.push(`timeoutMs must be > 0, got ${profile.timeoutMs}`);
  if (!(profile.maxInFlight >= 1)) problems.push(`maxInFlight must be >= 1, got ${profile.maxInFlight}`);
  if (!(profile.maxDurationMs > 0)) problems.push(`maxDurationMs must be > 0, got ${profile.maxDurationMs}`);
  if (profile.writer && !(profile.writer.rate > 0))
    problems.push(`writer.rate must be > 0, got ${profile.writer.rate}`);
  if (problems.length > 0) throw new HarnessError('CONFIG_INVALID', `builtin load: ${problems.join('; ')}`);
}

interface Stream {
  kind: 'traffic' | 'writer';
  connection: ConnectionMode;
  intervalMs: number;
  /** Index of the next request of this stream. */
  next: number;
  pick: SmoothWeightedRoundRobin<EndpointConfig> | null;
}

class BuiltinRunningLoad implements RunningLoad {
  private readonly queue = new SampleQueue<Sample>();
  private readonly pending = new Set<Promise<void>>();
  private readonly lag: Histogram = build({ useWebAssembly: false, numberOfSignificantValueDigits: 3 });
  private readonly acked: string[] = [];
  private readonly streams: Stream[] = [];
  private readonly reused: Agent;
  private readonly fresh: Agent;
  private readonly baseUrls: string[];
  private readonly onAbort = () => this.endScheduling(Math.min(this.ctx.clock.now(), this.endAt));
  private t0 = 0;
  private endAt = 0;
  private stoppedAt = 0;
  private schedulingEnded = false;
  private timer:
    | { kind: 'timeout'; handle: NodeJS.Timeout }
    | { kind: 'immediate'; handle: NodeJS.Immediate }
    | null = null;
  private scheduled = 0;
  private sent = 0;
  private dropped = 0;
  private inFlight = 0;
  private urlCounter = 0;
  private writeCounter = 0;
  private stopping: Promise<LoadSummary> | null = null;
  private samplesTaken = false;

  constructor(
    target: LoadTarget,
    private readonly profile: LoadProfile,
    private readonly ctx: RunContext,
  ) {
    this.baseUrls = target.baseUrls.map((u) => u.replace(/\/+$/, ''));
    const connect = { timeout: profile.timeoutMs };
    this.reused = new Agent({ connect, keepAliveTimeout: 10_000 });
    // pipelining 0 disables keep-alive; with `connection: close` each request gets its own socket.
    this.fresh = new Agent({ connect, pipelining: 0 });
    if (profile.rate > 0) {
      for (const connection of profile.connections) {
        const pick = new SmoothWeightedRoundRobin(
          profile.endpoints.map((e) => ({ item: e, weight: e.weight })),
        );
        this.streams.push({ kind: 'traffic', connection, intervalMs: 1000 / profile.rate, next: 0, pick });
      }
    }
    if (profile.writer) {
      this.streams.push({
        kind: 'writer',
        connection: 'reused',
        intervalMs: 1000 / profile.writer.rate,
        next: 0,
        pick: null,
      });
    }
  }

  begin(): void {
    this.t0 = this.ctx.clock.now();
    this.endAt = this.t0 + this.profile.maxDurationMs;
    if (this.ctx.signal.aborted) {
      this.endScheduling(this.t0);
      return;
    }
    this.ctx.signal.addEventListener('abort', this.onAbort, { once: true });
    this.ctx.logger.debug({ streams: this.streams.length, rate: this.profile.rate }, 'builtin load started');
    this.tick();
  }

  samples(): AsyncIterable<Sample> {
    if (this.samplesTaken) throw new Error('samples() can be called only once');
    this.samplesTaken = true;
    return this.queue;
  }

  acknowledgedKeys(): readonly string[] {
    return [...this.acked];
  }

  stop(): Promise<LoadSummary> {
    this.stopping ??= this.finish();
    return this.stopping;
  }

  private async finish(): Promise<LoadSummary> {
    if (!this.schedulingEnded) {
      const now = this.ctx.clock.now();
      this.dispatchDue(now);
      this.endScheduling(Math.min(now, this.endAt));
    }
    // In-flight requests end by themselves within timeoutMs (each has its own deadline).
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await Promise.allSettled([this.reused.close(), this.fresh.close()]);
    const summary: LoadSummary = {
      startedAt: this.t0,
      stoppedAt: this.stoppedAt,
      targetRate: this.targetRate(),
      scheduled: this.scheduled,
      sent: this.sent,
      dropped: this.dropped,
      scheduleLagP99Ms: this.scheduled > 0 ? this.lag.getValueAtPercentile(99) / 1000 : 0,
      acknowledgedKeys: [...this.acked],
    };
    this.lag.destroy();
    this.queue.close();
    this.ctx.logger.debug(
      { ...summary, acknowledgedKeys: summary.acknowledgedKeys.length },
      'builtin load stopped',
    );
    return summary;
  }

  private targetRate(): number {
    const traffic = this.profile.rate * (this.profile.rate > 0 ? this.profile.connections.length : 0);
    return traffic + (this.profile.writer?.rate ?? 0);
  }

  private intended(stream: Stream): number {
    return this.t0 + stream.next * stream.intervalMs;
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (this.schedulingEnded) return;
    const now = this.ctx.clock.now();
    this.dispatchDue(now);
    if (now >= this.endAt) {
      this.endScheduling(this.endAt);
      return;
    }
    let wake = this.endAt;
    for (const s of this.streams) wake = Math.min(wake, this.intended(s));
    const delay = wake - this.ctx.clock.now();
    // setTimeout has millisecond granularity and may fire late: wake early, never sleep through a due request.
    if (delay >= 2)
      this.timer = {
        kind: 'timeout',
        handle: setTimeout(this.tick, Math.min(Math.floor(delay) - 1, 60_000)),
      };
    else this.timer = { kind: 'immediate', handle: setImmediate(this.tick) };
  };

  /** Dispatches every request intended at or before `now` (and before the end), in intended order. */
  private dispatchDue(now: number): void {
    for (;;) {
      let due: Stream | null = null;
      let dueAt = Number.POSITIVE_INFINITY;
      for (const s of this.streams) {
        const at = this.intended(s);
        if (at < dueAt) {
          due = s;
          dueAt = at;
        }
      }
      if (!due || dueAt > now || dueAt >= this.endAt) return;
      due.next++;
      this.dispatch(due, dueAt);
    }
  }

  private dispatch(stream: Stream, intendedStartMs: number): void {
    this.scheduled++;
    const startMs = this.ctx.clock.now();
    this.lag.recordValue(Math.max(0, Math.round((startMs - intendedStartMs) * 1000)));
    if (this.inFlight >= this.profile.maxInFlight) {
      this.dropped++;
      if (stream.pick) stream.pick.next(); // keep the endpoint mix of later requests unchanged
      return;
    }
    this.sent++;
    this.inFlight++;
    const work =
      stream.kind === 'writer'
        ? this.write(intendedStartMs, startMs)
        : this.read(stream, intendedStartMs, startMs);
    const tracked: Promise<void> = work
      .catch((err: unknown) => this.ctx.logger.error({ err }, 'builtin load: request bookkeeping failed'))
      .finally(() => {
        this.inFlight--;
        this.pending.delete(tracked);
      });
    this.pending.add(tracked);
  }

  private nextBaseUrl(): string {
    const url = this.baseUrls[this.urlCounter % this.baseUrls.length] as string;
    this.urlCounter++;
    return url;
  }

  private async read(stream: Stream, intendedStartMs: number, startMs: number): Promise<void> {
    const endpoint = (stream.pick as SmoothWeightedRoundRobin<EndpointConfig>).next();
    const dispatcher: Dispatcher = stream.connection === 'new' ? this.fresh : this.reused;
    const result = await sendRequest({
      method: endpoint.method,
      url: this.nextBaseUrl() + endpoint.path,
      ...(endpoint.headers ? { headers: endpoint.headers } : {}),
      ...(endpoint.body !== undefined ? { body: endpoint.body } : {}),
      dispatcher,
      closeConnection: stream.connection === 'new',
      timeoutMs: this.profile.timeoutMs,
      expectStatus: endpoint.expectStatus,
      versionProbe: this.profile.versionProbe,
      clock: this.ctx.clock,
    });
    this.queue.push({
      sampler: `${endpoint.name}:${stream.connection}`,
      endpoint: endpoint.name,
      endpointClass: endpoint.class,
      connection: stream.connection,
      intendedStartMs,
      startMs,
      ...result,
    });
  }

  private async write(intendedStartMs: number, startMs: number): Promise<void> {
    const writer = this.profile.writer;
    if (!writer) return;
    this.writeCounter++;
    const key = `${this.ctx.runId}-${this.ctx.cellId}-w${this.writeCounter}`;
    const result = await sendRequest({
      method: 'POST',
      url: this.nextBaseUrl() + writer.path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key, title: `harness write ${this.writeCounter}` }),
      dispatcher: this.reused,
      closeConnection: false,
      timeoutMs: this.profile.timeoutMs,
      expectStatus: WRITER_EXPECT_STATUS,
      versionProbe: this.profile.versionProbe,
      clock: this.ctx.clock,
    });
    // Acknowledged = the server answered 2xx, even if the rest of the body was then lost.
    if (result.status !== undefined && result.status >= 200 && result.status <= 299) {
      this.acked.push(key);
    }
    this.queue.push({
      sampler: `${WRITER_ENDPOINT}:reused`,
      endpoint: WRITER_ENDPOINT,
      endpointClass: WRITER_CLASS,
      connection: 'reused',
      intendedStartMs,
      startMs,
      ...result,
    });
  }

  private endScheduling(at: number): void {
    if (this.schedulingEnded) return;
    this.schedulingEnded = true;
    this.stoppedAt = at;
    if (this.timer?.kind === 'timeout') clearTimeout(this.timer.handle);
    if (this.timer?.kind === 'immediate') clearImmediate(this.timer.handle);
    this.timer = null;
    this.ctx.signal.removeEventListener('abort', this.onAbort);
  }
}
