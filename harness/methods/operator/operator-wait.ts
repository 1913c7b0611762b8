import { sleep } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { AbortedError, InfraError, ProductError } from '../../common/errors.js';
import { describeExpression, type Expression, evaluate } from './operator-expressions.js';
import { apiMessage } from './operator-kube.js';
import { describeObject, type KubeObject } from './operator-resources.js';

export interface WaitOptions {
  /** Reads the resource (the method's client). */
  read: () => Promise<KubeObject>;
  ready: readonly Expression[];
  failed: readonly Expression[];
  /** What `{{version}}` stands for in the expressions. */
  version: string;
  timeoutMs: number;
  intervalMs: number;
  /** `upgrade to 2.0`, for messages. */
  what: string;
}

/**
 * Polls the resource until every `ready` expression holds (resolves with it), throwing
 * ProductError as soon as a `failed` expression holds or when the time is up (naming what did
 * not hold and what was seen), InfraError when the API never answered, AbortedError on abort.
 * Changes of what is seen go on the cell's timeline.
 */
export async function waitForResource(options: WaitOptions, ctx: RunContext): Promise<KubeObject> {
  const started = performance.now();
  const deadline = started + options.timeoutMs;
  let lastError: unknown;
  let lastObject: KubeObject | undefined;
  let lastSeen = '';
  for (;;) {
    if (ctx.signal.aborted) throw new AbortedError(`interrupted while waiting for ${options.what}`);
    let obj: KubeObject | undefined;
    try {
      obj = await options.read();
      lastError = undefined;
      lastObject = obj;
    } catch (err) {
      if (ctx.signal.aborted) throw new AbortedError(`interrupted while waiting for ${options.what}`);
      lastError = err;
    }
    if (obj) {
      const failed = options.failed.find((e) => evaluate(e, obj, options.version).holds);
      if (failed) {
        const seen = evaluate(failed, obj, options.version).seen;
        ctx.event('operator', `${options.what}: failed: ${seen}`);
        throw new ProductError(
          `${options.what} failed: ${describeObject(obj)} has ${seen} (failed expression ${failed.text})`,
        );
      }
      const results = options.ready.map((e) => ({ e, ...evaluate(e, obj, options.version) }));
      const seen = results.map((r) => r.seen).join(', ');
      if (seen !== lastSeen) {
        ctx.event('operator', `${options.what}: ${seen}`);
        lastSeen = seen;
      }
      if (results.every((r) => r.holds)) {
        ctx.event('operator', `${options.what}: ready after ${Math.round(performance.now() - started)} ms`);
        return obj;
      }
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw timeoutError(options, lastObject, lastError);
    try {
      await sleep(Math.min(options.intervalMs, remaining), ctx.signal);
    } catch {
      throw new AbortedError(`interrupted while waiting for ${options.what}`);
    }
  }
}

function timeoutError(options: WaitOptions, obj: KubeObject | undefined, lastError: unknown): Error {
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  if (!obj) {
    return new InfraError(
      `${options.what}: could not read the resource for ${seconds} s: ${apiMessage(lastError)}`,
      { cause: lastError },
    );
  }
  const unmet = options.ready
    .map((e) => ({ e, ...evaluate(e, obj, options.version) }))
    .filter((r) => !r.holds)
    .map((r) => `${describeExpression(r.e, options.version)} (seen: ${r.seen})`);
  const stale = lastError === undefined ? '' : `; the last read failed: ${apiMessage(lastError)}`;
  return new ProductError(
    `${options.what}: ${describeObject(obj)} not ready after ${seconds} s: ${unmet.join('; ')} did not hold${stale}`,
  );
}
