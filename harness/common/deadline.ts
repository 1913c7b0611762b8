import { AbortedError } from './errors.js';

/**
 * Races for work that may hang (an API server, a container engine, a child process). Each leaves
 * the work to settle on its own, keeps no timer or listener past the race, and leaves no rejection
 * of the work unhandled.
 */

/** `promise`, or the error `onAbort()` gives as soon as `signal` aborts. */
export function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onAbort: () => Error = () => new AbortedError(),
): Promise<T> {
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** `promise`, or the error `onTimeout()` gives once `ms` passed. */
export async function rejectAfter<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `promise`'s value, or undefined once `ms` passed (a rejection before then still rejects). */
export async function valueWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((done) => {
    timer = setTimeout(() => done(undefined), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
