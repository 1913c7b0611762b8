import { build, type Histogram } from 'hdr-histogram-js';
import type { Clock } from '../common/clock.js';
import type { LoadSummary } from './load-driver.js';

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
   * return at once: the next arrival does not wait for this one (open model). `handedOverMs` is
   * the clock time of the hand-over (schedule lag = handedOverMs − intendedStartMs).
   */
  onDue(tag: T, intendedStartMs: number, handedOverMs: number): void;
  /**
   * True while no arrival can be taken (e.g. the in-flight cap is reached). Arrivals that come due
   * then are skipped in bulk, counted through `onSkipped` (O(streams), not O(arrivals)), and are
   * not part of the schedule lag: they were never sent. Without it every arrival goes to `onDue`.
   */
  isFull?(): boolean;
  /** `count` arrivals of the stream tagged `tag` came due while full and were skipped. */
  onSkipped?(tag: T, count: number): void;
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
  private readonly onAbort = () => this.finalHandOver(Math.min(this.options.clock.now(), this.deadline));
  private timer: NodeJS.Timeout | null = null;
  private t0 = 0;
  private deadline = 0;
  private endedAtMs = 0;
  private state: 'new' | 'running' | 'ended' = 'new';
  private scheduledCount = 0;
  /** True while handing over arrivals (an `onDue` that polls must not re-enter). */
  private dispatching = false;
  /** A re-check after pending I/O, scheduled when arrivals came due while full. */
  private recheck: NodeJS.Immediate | null = null;
  /** True during that re-check (and in end()): what is still full now is skipped. */
  private afterIo = false;

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

  /**
   * Hands over whatever is due by now, without waiting for the timer. Call it when the event loop is
   * awake anyway (e.g. a response just completed): at high rates arrivals then go out as soon as
   * they can instead of in timer-sized batches. Cheap (one clock read) when nothing is due; a no-op
   * unless running, and safe to call from inside `onDue`.
   */
  poll(): void {
    if (this.state !== 'running' || this.dispatching) return;
    this.dispatchDue(this.options.clock.now());
  }

  /** Hands over what is due by now, then ends scheduling. Idempotent. */
  end(): void {
    if (this.state !== 'running') {
      if (this.state === 'new') this.state = 'ended';
      return;
    }
    const now = this.options.clock.now();
    this.finalHandOver(Math.min(now, this.deadline));
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

  /** Arrivals that came due so far: handed to `onDue` or skipped while full. */
  get scheduled(): number {
    return this.scheduledCount;
  }

  /** 99th percentile of (hand-over time − intended time) of the arrivals handed to `onDue`, in milliseconds. */
  lagP99Ms(): number {
    return this.scheduledCount > 0 ? this.lag.getValueAtPercentile(99) / 1000 : 0;
  }

  /** Arrivals per second over all streams: what the load self-check holds the achieved rate against. */
  get targetRate(): number {
    return this.streams.reduce((sum, s) => sum + 1000 / s.intervalMs, 0);
  }

  /** The summary every driver returns from `stop()`, from the schedule and the driver's own counts. */
  summarize(counts: { sent: number; dropped: number; acknowledgedKeys: readonly string[] }): LoadSummary {
    return {
      startedAt: this.startedAt,
      stoppedAt: this.endedAt,
      targetRate: this.targetRate,
      scheduled: this.scheduledCount,
      sent: counts.sent,
      dropped: counts.dropped,
      scheduleLagP99Ms: this.lagP99Ms(),
      acknowledgedKeys: [...counts.acknowledgedKeys],
    };
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
      this.finalHandOver(this.deadline);
      return;
    }
    let wake = this.deadline;
    for (const s of this.streams) wake = Math.min(wake, this.intended(s));
    // Sleep until the next arrival is due (never spin): timers are ~1 ms granular and may fire late,
    // so a wake-up hands over everything due by then (catch-up keeps the intended times).
    const delay = Math.min(Math.max(1, Math.ceil(wake - this.options.clock.now())), 60_000);
    this.timer = setTimeout(this.tick, delay);
  };

  private readonly recheckAfterIo = (): void => {
    this.recheck = null;
    if (this.state !== 'running') return;
    this.afterIo = true;
    try {
      this.dispatchDue(this.options.clock.now());
    } finally {
      this.afterIo = false;
    }
  };

  private dispatchDue(now: number): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      this.handOver(now);
    } finally {
      this.dispatching = false;
    }
  }

  private handOver(now: number): void {
    const { isFull, onSkipped } = this.options;
    for (;;) {
      if (this.state !== 'running') return; // an onDue may end the schedule
      if (isFull && onSkipped && isFull()) {
        // Full may only look full: after a stall of this event loop (GC, a timer that fired late)
        // answers that already arrived are still unread. Let the pending I/O run first (their
        // completions free slots and poll), then skip what is still due and still cannot be sent.
        if (this.afterIo) this.skipDue(now, onSkipped);
        else this.recheck ??= setImmediate(this.recheckAfterIo);
        return;
      }
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
      const handedOverMs = this.options.clock.now();
      this.lag.recordValue(Math.max(0, Math.round((handedOverMs - dueAt) * 1000)));
      this.options.onDue(due.tag, dueAt, handedOverMs);
    }
  }

  /** Skips every arrival due by `now` (and before the deadline), per stream in one step. */
  private skipDue(now: number, onSkipped: (tag: T, count: number) => void): void {
    const horizon = Math.min(now, this.deadline);
    for (const s of this.streams) {
      let count = 0;
      // Counted with intended() itself, so no arrival is skipped that a later hand-over would call not yet due.
      const estimate = Math.floor((horizon - this.intended(s)) / s.intervalMs);
      if (estimate > 1) {
        count = estimate - 1;
        s.next += count;
      }
      while (this.intended(s) <= now && this.intended(s) < this.deadline) {
        s.next++;
        count++;
      }
      if (count > 0) {
        this.scheduledCount += count;
        onSkipped(s.tag, count);
      }
    }
  }

  /** Hands over (or, while full, skips) everything due by `at`, without waiting for I/O, then ends at `at`. */
  private finalHandOver(at: number): void {
    if (this.state !== 'running') return;
    this.afterIo = true;
    try {
      this.dispatchDue(at);
    } finally {
      this.afterIo = false;
    }
    this.endAt(at);
  }

  private endAt(at: number): void {
    if (this.state !== 'running') return;
    this.state = 'ended';
    this.endedAtMs = at;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.recheck) clearImmediate(this.recheck);
    this.recheck = null;
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }
}
