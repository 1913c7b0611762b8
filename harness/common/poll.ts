import { sleep } from './clock.js';
import { TimeoutError } from './errors.js';

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Names what we wait for, in the timeout error. */
  what: string;
}

/** Calls `probe` until it returns a value other than undefined/false, or the deadline passes. */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined | false>,
  options: PollOptions,
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let last: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (performance.now() >= deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new TimeoutError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${why}`);
    }
    await sleep(interval, options.signal);
  }
}
