import type { Clock } from '../common/clock.js';
import { AbortedError, errorMessage, InfraError, isAbortError, TimeoutError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { PhaseName, PhaseRecord, PhaseStatus } from '../common/sample.js';

export interface PhaseOutcome<T> {
  ok: boolean;
  value?: T;
  error?: unknown;
  status: PhaseStatus;
}

interface Teardown {
  name: string;
  run: () => Promise<unknown>;
  timeoutMs?: number;
}

/**
 * Runs a cell's phases one by one, each under its own deadline and the run's AbortSignal, and keeps
 * a stack of teardowns that `teardown()` runs in reverse, always, even after a failure.
 */
export class PhaseRunner {
  readonly phases: PhaseRecord[] = [];
  readonly #teardowns: Teardown[] = [];

  constructor(
    private readonly runSignal: AbortSignal,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onPhase: (phase: PhaseName, state: 'started' | PhaseStatus) => void = () => undefined,
    /** How long an aborted phase may take to wind down before the runner moves on anyway. */
    private readonly settleTimeoutMs = 30_000,
  ) {}

  /**
   * Registers a teardown. Register it before the setup it undoes runs, so a half-done setup is
   * undone too. `timeoutMs` overrides the step time `teardown()` gives (a namespace that may take long to go).
   */
  defer(name: string, run: () => Promise<unknown>, timeoutMs?: number): void {
    this.#teardowns.push({ name, run, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  /**
   * Runs `fn` as phase `name`. Never throws: the outcome says how it ended. `fn` gets a signal that
   * aborts on the run's signal or at the deadline; a deadline becomes status `timedout`.
   */
  async run<T>(
    name: PhaseName,
    timeoutMs: number,
    fn: (signal: AbortSignal) => Promise<T>,
    detail?: string,
  ): Promise<PhaseOutcome<T>> {
    const startedAt = this.clock.now();
    this.onPhase(name, 'started');
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new TimeoutError(`${name} did not finish within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const signal = AbortSignal.any([this.runSignal, deadline.signal]);
    let outcome: PhaseOutcome<T>;
    const work = fn(signal);
    try {
      const value = await Promise.race([work, rejectOnAbort(signal)]);
      outcome = { ok: true, value, status: 'passed' };
    } catch (err) {
      // The phase was told to stop; let it finish stopping before anything tears down what it uses.
      const settled = await settleWithin(work, this.settleTimeoutMs);
      let error = err;
      let status: PhaseStatus = 'failed';
      if (deadline.signal.aborted && !this.runSignal.aborted) {
        status = 'timedout';
        error = deadline.signal.reason;
      } else if (this.runSignal.aborted || isAbortError(err)) {
        status = 'interrupted';
        error = err instanceof AbortedError ? err : new AbortedError();
      }
      if (!settled) {
        // What it was doing may still be running: the cell cannot be trusted any more.
        error = new InfraError(
          `${name} was ${status} but did not stop within ${this.settleTimeoutMs / 1000} s`,
        );
        status = 'errored';
      }
      outcome = { ok: false, error, status };
    } finally {
      clearTimeout(timer);
    }
    const record: PhaseRecord = { name, startedAt, endedAt: this.clock.now(), status: outcome.status };
    if (detail) record.detail = detail;
    if (!outcome.ok) record.error = errorMessage(outcome.error);
    this.phases.push(record);
    this.onPhase(name, outcome.status);
    this.logger.info({ phase: name, status: outcome.status, error: record.error }, 'phase ended');
    return outcome;
  }

  /** Marks a phase that did not run, so reports show it was skipped and why. */
  skip(name: PhaseName, why: string): void {
    const at = this.clock.now();
    this.phases.push({ name, startedAt: at, endedAt: at, status: 'skipped', detail: why });
  }

  /** Runs every registered teardown in reverse order; each gets `stepMs` (or its own); errors are logged, not thrown. */
  async teardown(stepMs: number): Promise<string[]> {
    const problems: string[] = [];
    while (this.#teardowns.length > 0) {
      const step = this.#teardowns.pop()!;
      const timeoutMs = step.timeoutMs ?? stepMs;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          step.run(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new TimeoutError(`${step.name} took longer than ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
      } catch (err) {
        problems.push(`${step.name}: ${errorMessage(err)}`);
        this.logger.error({ teardown: step.name, err: errorMessage(err) }, 'teardown step failed');
      } finally {
        clearTimeout(timer);
      }
    }
    return problems;
  }
}

/** Waits for `work` to settle (resolve or reject), at most `ms`. True when it settled. */
async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
