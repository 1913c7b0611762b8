import type { DowntimeInterval } from '../common/run-record.js';
import { type FailureClass, OUTCOMES, type Sample } from '../common/sample.js';
import { MIN_FAILED_SAMPLES } from './downtime.js';
import { ReorderBuffer } from './reorder-buffer.js';
import type { HeapEntry } from './sample-heap.js';

export interface DowntimeTrackerOptions {
  /** The longest a request may take; Infinity keeps every sample until finish (exact for any order). */
  timeoutMs: number;
  /** How much later than its timeout a sample may still arrive and be put in order (default 50 ms). */
  slackMs?: number;
  /**
   * The slack grows to the largest overrun seen (end − start − timeout, e.g. an event loop that
   * fired a timeout late) plus `slackMs`, up to this (default 1000 ms). Bounds the buffer.
   */
  maxSlackMs?: number;
}

interface SamplerState {
  name: string;
  buffer: ReorderBuffer;
  /** Order key of the last sample released into the run state. */
  lastStart: number;
  lastIntended: number;
  /** The current run of consecutive failed samples. */
  runCount: number;
  runStart: number;
  runMaxEnd: number;
  runClasses: Partial<Record<FailureClass, number>>;
}

/**
 * Downtime intervals found incrementally, exactly as `computeDowntime` finds them on the whole
 * array. Samples arrive in completion order, not start order (a timeout completes long after
 * later requests), so each sampler keeps a reorder buffer that releases samples in start order
 * once their start is below the watermark, (max endMs seen) − timeoutMs − slack: by then every
 * sample that started earlier has completed. The buffer holds at most rate × (timeout + slack)
 * samples per sampler, whatever the run length.
 *
 * A sample that arrives after a later-starting sample of its sampler was already released
 * ("late": it took longer than timeout + slack) cannot be put in order; it is left out of the
 * downtime runs and counted in `lateSamples`.
 */
export class DowntimeTracker {
  readonly #timeoutMs: number;
  readonly #baseSlackMs: number;
  readonly #maxSlackMs: number;
  readonly #samplers = new Map<string, SamplerState>();
  readonly #intervals: DowntimeInterval[] = [];
  readonly #entry: HeapEntry = { startMs: 0, intendedStartMs: 0, endMs: 0, seq: 0, outcome: 0 };
  #maxEndMs = Number.NEGATIVE_INFINITY;
  #maxOverrunMs = 0;
  #lastSweep = Number.NEGATIVE_INFINITY;
  #buffered = 0;
  #maxBuffered = 0;
  #late = 0;

  constructor(options: DowntimeTrackerOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#baseSlackMs = options.slackMs ?? 50;
    this.#maxSlackMs = Math.max(this.#baseSlackMs, options.maxSlackMs ?? 1000);
  }

  /** The slack in use now (grows with observed overruns, see the options). */
  get slackMs(): number {
    return Math.min(this.#maxSlackMs, Math.max(this.#baseSlackMs, this.#maxOverrunMs + this.#baseSlackMs));
  }

  /** Samples that started before this have all arrived (−Infinity until known). */
  get watermark(): number {
    return this.#maxEndMs - this.#timeoutMs - this.slackMs;
  }

  /** Samples waiting in reorder buffers now, the most ever, and samples that arrived too late. */
  get stats(): { buffered: number; maxBuffered: number; lateSamples: number; samplers: number } {
    return {
      buffered: this.#buffered,
      maxBuffered: this.#maxBuffered,
      lateSamples: this.#late,
      samplers: this.#samplers.size,
    };
  }

  /** `seq` numbers samples in arrival order (equal starts keep it, as a stable sort would). */
  add(s: Sample, seq: number): void {
    let st = this.#samplers.get(s.sampler);
    if (!st) {
      st = newSampler(s.sampler);
      this.#samplers.set(s.sampler, st);
    }
    const late =
      s.startMs < st.lastStart || (s.startMs === st.lastStart && s.intendedStartMs < st.lastIntended);
    if (late) {
      this.#late++;
    } else {
      const e = this.#entry;
      e.startMs = s.startMs;
      e.intendedStartMs = s.intendedStartMs;
      e.endMs = s.endMs;
      e.seq = seq;
      e.outcome = OUTCOME_INDEX.get(s.outcome) ?? OUTCOMES.length - 1;
      st.buffer.push(e);
      if (++this.#buffered > this.#maxBuffered) this.#maxBuffered = this.#buffered;
    }
    if (s.endMs > this.#maxEndMs) this.#maxEndMs = s.endMs;
    const overrun = s.endMs - s.startMs - this.#timeoutMs;
    if (overrun > this.#maxOverrunMs) this.#maxOverrunMs = overrun;
    const w = this.watermark;
    if (!Number.isFinite(w)) return;
    // Sweep every sampler now and then (a quiet sampler must not hold its buffer); else only this one.
    if (w >= this.#lastSweep + SWEEP_STEP_MS) {
      this.#lastSweep = w;
      for (const other of this.#samplers.values()) this.#release(other, w);
    } else {
      this.#release(st, w);
    }
  }

  /** Releases every buffered sample and closes open runs. Returns intervals sorted by start, then sampler. */
  finish(): DowntimeInterval[] {
    for (const st of this.#samplers.values()) {
      this.#release(st, Number.POSITIVE_INFINITY);
      if (st.runCount >= MIN_FAILED_SAMPLES) this.#emit(st, st.runMaxEnd);
      st.runCount = 0;
    }
    return [...this.#intervals].sort(
      (a, b) => a.startedAt - b.startedAt || a.sampler.localeCompare(b.sampler),
    );
  }

  #release(st: SamplerState, watermark: number): void {
    const e = this.#entry;
    while (st.buffer.peekStart() < watermark) {
      st.buffer.pop(e);
      this.#buffered--;
      st.lastStart = e.startMs;
      st.lastIntended = e.intendedStartMs;
      if (e.outcome !== 0) {
        if (st.runCount === 0) {
          st.runStart = e.startMs;
          st.runMaxEnd = e.endMs;
          st.runClasses = {};
        } else if (e.endMs > st.runMaxEnd) {
          st.runMaxEnd = e.endMs;
        }
        st.runCount++;
        const c = OUTCOMES[e.outcome] as FailureClass;
        st.runClasses[c] = (st.runClasses[c] ?? 0) + 1;
        continue;
      }
      if (st.runCount >= MIN_FAILED_SAMPLES) this.#emit(st, e.startMs);
      st.runCount = 0;
    }
  }

  #emit(st: SamplerState, endedAt: number): void {
    this.#intervals.push({
      sampler: st.name,
      startedAt: st.runStart,
      endedAt,
      seconds: Math.max(0, endedAt - st.runStart) / 1000,
      failedSamples: st.runCount,
      failureClasses: st.runClasses,
    });
  }
}

/** How far the watermark moves before every sampler's buffer is swept again. */
const SWEEP_STEP_MS = 10;

const OUTCOME_INDEX = new Map<string, number>(OUTCOMES.map((o, i) => [o, i]));

function newSampler(name: string): SamplerState {
  return {
    name,
    buffer: new ReorderBuffer(),
    lastStart: Number.NEGATIVE_INFINITY,
    lastIntended: Number.NEGATIVE_INFINITY,
    runCount: 0,
    runStart: 0,
    runMaxEnd: Number.NEGATIVE_INFINITY,
    runClasses: {},
  };
}
