import { build, type Histogram } from 'hdr-histogram-js';
import type { Clock } from '../common/clock.js';

export interface ArrivalStream<T> {
  /** Arrivals per second; must be > 0. */
  ratePerSecond: number;
  /** Handed back with each arrival of this stream. */
  tag: T;
}

export interface ArrivalSchedulerOptions<T> {
  clock: Clock;
  streams: ReadonlyArray<ArrivalStream<T>>;
  /** Nothing is intended at or after `start + durationMs`. */
  durationMs: number;
  /** Aborting ends scheduling as `durationMs` running out does. */
  signal?: AbortSignal;
  /**
   * Called once per arrival, in intended order, as soon as it is due. Must start the work and
   * return at once: the next arrival does not wait for this one (open model).
   */
  onDue(tag: T, intendedStartMs: number): void;
}

interface StreamState<T> {
  tag: T;
  intervalMs: number;
  /** Index of the next arrival of this stream. */
  next: number;
}

/**
 * Open-model constant-arrival schedule over one or more streams: arrival i of a stream is intended
 * at t0 + i/rate and handed to `onDue` when due, whatever happened to earlier arrivals. A late
 * wake-up hands over every overdue arrival at once, in intended order, keeping its intended time, so
 * lateness shows up as latency and as schedule lag instead of silently thinning the load.
 */
export class ArrivalScheduler<T> {
  private readonly streams: StreamState<T>[];
  private readonly lag: Histogram = build({ useWebAssembly: false, numberOfSignificantValueDigits: 3 });
  private readonly onAbort = () => this.endAt(Math.min(this.options.clock.now(), this.deadline));
  private timer:
    | { kind: 'timeout'; handle: NodeJS.Timeout }
    | { kind: 'immediate'; handle: NodeJS.Immediate }
    | null = null;
  private t0 = 0;
  private deadline = 0;
  private endedAtMs = 0;
  private state: 'new' | 'running' | 'ended' = 'new';
  private scheduledCount = 0;

  constructor(private readonly options: ArrivalSchedulerOptions<T>) {
    for (const s of options.streams) {
      if (!(s.ratePerSecond > 0) || !Number.isFinite(s.ratePerSecond))
        throw new Error(`arrival rate must be a positive number, got ${s.ratePerSecond}`);
    }
    if (!(options.durationMs > 0)) throw new Error(`durationMs must be > 0, got ${options.durationMs}`);
    this.streams = options.streams.map((s) => ({ tag: s.tag, intervalMs: 1000 / s.ratePerSecond, next: 0 }));
  }

  /** Starts the schedule now (t0). Call once. */
  start(): void {
    if (this.state !== 'new') throw new Error('the arrival scheduler can be started only once');
    this.state = 'running';
    this.t0 = this.options.clock.now();
    this.deadline = this.t0 + this.options.durationMs;
    const { signal } = this.options;
    if (signal?.aborted) {
      this.endAt(this.t0);
      return;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.tick();
  }

  /** Hands over what is due by now, then ends scheduling. Idempotent. */
  end(): void {
    if (this.state !== 'running') {
      if (this.state === 'new') this.state = 'ended';
      return;
    }
    const now = this.options.clock.now();
    this.dispatchDue(now);
    this.endAt(Math.min(now, this.deadline));
  }

  get startedAt(): number {
    return this.t0;
  }

  /** When scheduling ended (never after the end of the window); 0 while running. */
  get endedAt(): number {
    return this.endedAtMs;
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Arrivals handed to `onDue` so far. */
  get scheduled(): number {
    return this.scheduledCount;
  }

  /** 99th percentile of (hand-over time − intended time), in milliseconds. */
  lagP99Ms(): number {
    return this.scheduledCount > 0 ? this.lag.getValueAtPercentile(99) / 1000 : 0;
  }

  private intended(s: StreamState<T>): number {
    return this.t0 + s.next * s.intervalMs;
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (this.state !== 'running') return;
    const now = this.options.clock.now();
    this.dispatchDue(now);
    if (this.state !== 'running') return;
    if (now >= this.deadline) {
      this.endAt(this.deadline);
      return;
    }
    let wake = this.deadline;
    for (const s of this.streams) wake = Math.min(wake, this.intended(s));
    const delay = wake - this.options.clock.now();
    // setTimeout has millisecond granularity and may fire late: wake early, never sleep through an arrival.
    if (delay >= 2)
      this.timer = {
        kind: 'timeout',
        handle: setTimeout(this.tick, Math.min(Math.floor(delay) - 1, 60_000)),
      };
    else this.timer = { kind: 'immediate', handle: setImmediate(this.tick) };
  };

  private dispatchDue(now: number): void {
    for (;;) {
      let due: StreamState<T> | null = null;
      let dueAt = Number.POSITIVE_INFINITY;
      for (const s of this.streams) {
        const at = this.intended(s);
        if (at < dueAt) {
          due = s;
          dueAt = at;
        }
      }
      if (!due || dueAt > now || dueAt >= this.deadline) return;
      due.next++;
      this.scheduledCount++;
      this.lag.recordValue(Math.max(0, Math.round((this.options.clock.now() - dueAt) * 1000)));
      this.options.onDue(due.tag, dueAt);
    }
  }

  private endAt(at: number): void {
    if (this.state !== 'running') return;
    this.state = 'ended';
    this.endedAtMs = at;
    if (this.timer?.kind === 'timeout') clearTimeout(this.timer.handle);
    if (this.timer?.kind === 'immediate') clearImmediate(this.timer.handle);
    this.timer = null;
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }
}
