import type { RunContext } from '../../common/context.js';
import { rejectAfter, untilAborted } from '../../common/deadline.js';
import { AbortedError, errorMessage, InfraError, ProductError } from '../../common/errors.js';
import { apiCode, apiErrorText } from '../../platforms/kube/api-errors.js';
import { describeExpression, type Expression, evaluate } from './operator-expressions.js';
import type { ListedResource, WatchHandlers } from './operator-kube.js';
import type { KubeObject } from './operator-resources.js';

/** Where the wait reads the resource: one object, read, listed and watched (OperatorKube bound to it). */
export interface ResourceSource {
  /** Reads the object (a 404 throws); its resourceVersion is where the first watch starts. */
  read(): Promise<KubeObject>;
  /** Lists it by name: the collection's resourceVersion is fresh (after a 410). */
  list(): Promise<ListedResource>;
  /** Opens a watch on it; resolves with a function that stops it. */
  watch(resourceVersion: string, handlers: WatchHandlers): Promise<() => void>;
}

export interface WaitOptions {
  source: ResourceSource;
  ready: readonly Expression[];
  failed: readonly Expression[];
  /** What `{{version}}` stands for in the expressions. */
  version: string;
  timeoutMs: number;
  /** While the watch runs, the resource is also read this often, in case the watch stalls. */
  resyncMs: number;
  /** How often it is read when watching does not work (forbidden, or failing again and again). */
  pollMs: number;
  /** `upgrade to 2.0`, for messages. */
  what: string;
  /** `apps/v1 Shop/shop in ns`, for messages. */
  describe: string;
}

/** Watch failures in a row (ended without an event) before the wait falls back to reading every pollMs. */
const MAX_WATCH_FAILURES = 6;
const BACKOFF_FIRST_MS = 200;
const BACKOFF_MAX_MS = 5_000;
/** One read of the resource may take this long (within the wait's deadline). */
const READ_TIMEOUT_MS = 30_000;

type Outcome = { done: KubeObject } | { error: Error } | undefined;

/**
 * Waits until every `ready` expression holds on the resource (resolves with it), throwing
 * ProductError as soon as a `failed` expression holds or when the time is up (naming what did not
 * hold and what was seen), InfraError when the API never answered, AbortedError on abort.
 *
 * It reads the resource once, then watches it from that resourceVersion; a 410 (history gone)
 * lists it again for a fresh one; a watch that ends is reopened with backoff, and after
 * MAX_WATCH_FAILURES in a row (or a 403/405) the wait reads every `pollMs` instead. A slow re-read
 * every `resyncMs` covers a watch that stalls silently. Changes of what is seen go on the timeline.
 */
export async function waitForResource(options: WaitOptions, ctx: RunContext): Promise<KubeObject> {
  return new ResourceWait(options, ctx).run();
}

class ResourceWait {
  readonly #started = performance.now();
  readonly #deadline: number;
  #object: KubeObject | undefined;
  #everSeen = false;
  #lastError: unknown;
  #resourceVersion: string | undefined;
  #lastSeen = '';
  /** Set by watch events; the loop evaluates again. */
  #dirty = false;
  /** Objects the watch delivered; a read that overlapped one is older and dropped. */
  #delivered = 0;
  #wake: () => void = () => {};
  #needList = false;
  #nextReadAt = 0;
  #watchId = 0;
  #watchOpen = false;
  #stopWatch: (() => void) | undefined;
  #watchFailures = 0;
  #nextWatchAt = 0;
  #polling = false;
  #finished = false;

  constructor(
    private readonly options: WaitOptions,
    private readonly ctx: RunContext,
  ) {
    this.#deadline = this.#started + options.timeoutMs;
  }

  async run(): Promise<KubeObject> {
    const onAbort = () => this.#wake();
    this.ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#loop();
    } finally {
      this.#finished = true;
      this.#stopWatch?.();
      this.ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  async #loop(): Promise<KubeObject> {
    for (;;) {
      this.#checkAbort();
      const now = performance.now();
      if (this.#needList || now >= this.#nextReadAt) await this.#read(this.#needList);
      this.#checkAbort();
      this.#dirty = false;
      const outcome = this.#evaluate();
      if (outcome && 'done' in outcome) return outcome.done;
      if (outcome) throw outcome.error;
      if (performance.now() >= this.#deadline) throw this.#timeoutError();
      this.#maybeWatch();
      if (!this.#dirty && !this.#needList) await this.#sleep(this.#nextTimerAt() - performance.now());
    }
  }

  #checkAbort(): void {
    if (this.ctx.signal.aborted) throw new AbortedError(`interrupted while waiting for ${this.options.what}`);
  }

  async #read(list: boolean): Promise<void> {
    this.#needList = false;
    this.#nextReadAt = performance.now() + (this.#polling ? this.options.pollMs : this.options.resyncMs);
    const delivered = this.#delivered;
    try {
      if (list) {
        const listed = await this.#bounded(this.options.source.list());
        this.#resourceVersion = listed.resourceVersion || this.#resourceVersion;
        if (this.#delivered === delivered) this.#see(listed.object);
      } else {
        const obj = await this.#bounded(this.options.source.read());
        this.#resourceVersion ??= obj.metadata.resourceVersion as string | undefined;
        if (this.#delivered === delivered) this.#see(obj);
      }
      this.#lastError = undefined;
    } catch (err) {
      if (this.ctx.signal.aborted) return;
      this.#lastError = err;
      if (apiCode(err) === 404) this.#see(undefined);
      // Without a resourceVersion there is nothing to watch from: read again soon.
      if (this.#resourceVersion === undefined) this.#nextReadAt = performance.now() + this.options.pollMs;
    }
  }

  /** A read that answers neither before the deadline (at most READ_TIMEOUT_MS) nor before an abort is given up. */
  #bounded<T>(read: Promise<T>): Promise<T> {
    const ms = Math.max(0, Math.min(READ_TIMEOUT_MS, this.#deadline - performance.now()));
    const interrupted = () => new AbortedError(`interrupted while waiting for ${this.options.what}`);
    return rejectAfter(
      untilAborted(read, this.ctx.signal, interrupted),
      ms,
      () => new Error(`the API server did not answer within ${Math.round(ms / 100) / 10} s`),
    );
  }

  #see(obj: KubeObject | undefined): void {
    this.#object = obj;
    if (obj) this.#everSeen = true;
  }

  #evaluate(): Outcome {
    const obj = this.#object;
    const { options, ctx } = this;
    if (!obj) return undefined;
    const failed = options.failed.find((e) => evaluate(e, obj, options.version).holds);
    if (failed) {
      const seen = evaluate(failed, obj, options.version).seen;
      ctx.event('operator', `${options.what}: failed: ${seen}`);
      return {
        error: new ProductError(
          `${options.what} failed: ${options.describe} has ${seen} (failed expression ${failed.text})`,
        ),
      };
    }
    const results = options.ready.map((e) => ({ e, ...evaluate(e, obj, options.version) }));
    const seen = results.map((r) => r.seen).join(', ');
    if (seen !== this.#lastSeen) {
      ctx.event('operator', `${options.what}: ${seen}`);
      this.#lastSeen = seen;
    }
    if (!results.every((r) => r.holds)) return undefined;
    ctx.event('operator', `${options.what}: ready after ${Math.round(performance.now() - this.#started)} ms`);
    return { done: obj };
  }

  #maybeWatch(): void {
    if (this.#polling || this.#watchOpen || this.#resourceVersion === undefined) return;
    if (performance.now() < this.#nextWatchAt) return;
    const id = ++this.#watchId;
    this.#watchOpen = true;
    let events = 0;
    const current = () => id === this.#watchId && !this.#finished;
    const handlers: WatchHandlers = {
      onEvent: (type, raw) => {
        if (!current()) return;
        const obj = raw as KubeObject;
        const rv = obj?.metadata?.resourceVersion;
        if (type === 'ERROR') {
          this.#watchEnded(id, raw, events);
          return;
        }
        events += 1;
        this.#watchFailures = 0;
        if (typeof rv === 'string' && rv !== '') this.#resourceVersion = rv;
        if (type === 'ADDED' || type === 'MODIFIED') this.#see(obj);
        else if (type === 'DELETED') this.#see(undefined);
        else return;
        this.#delivered += 1;
        this.#dirty = true;
        this.#wake();
      },
      onEnd: (err) => {
        if (current()) this.#watchEnded(id, err, events);
      },
    };
    this.options.source.watch(this.#resourceVersion, handlers).then(
      (stop) => {
        if (id === this.#watchId && !this.#finished && this.#watchOpen) this.#stopWatch = stop;
        else stop();
      },
      (err: unknown) => {
        if (current()) this.#watchEnded(id, err, events);
      },
    );
  }

  /** A watch ended: `why` is null (closed), a client error, or an ERROR event's Status. */
  #watchEnded(id: number, why: unknown, events: number): void {
    if (id !== this.#watchId || !this.#watchOpen) return;
    this.#watchOpen = false;
    this.#stopWatch?.();
    this.#stopWatch = undefined;
    const code = statusOf(why);
    if (code === 410) {
      this.ctx.event('operator', `${this.options.what}: watch expired (410 Gone): listing again`);
      this.#needList = true;
    }
    if (code === 403 || code === 405) {
      this.#fallBack(`the watch is refused (${describeEnd(why)})`);
    } else if (events === 0) {
      this.#watchFailures += 1;
      if (this.#watchFailures >= MAX_WATCH_FAILURES) {
        this.#fallBack(`the watch failed ${this.#watchFailures} times (last: ${describeEnd(why)})`);
      } else {
        const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.#watchFailures - 1));
        this.#nextWatchAt = performance.now() + (code === 410 && this.#watchFailures === 1 ? 0 : backoff);
      }
    }
    this.#wake();
  }

  #fallBack(why: string): void {
    this.#polling = true;
    this.#nextReadAt = Math.min(this.#nextReadAt, performance.now() + this.options.pollMs);
    this.ctx.event('operator', `${this.options.what}: ${why}; reading every ${this.options.pollMs} ms`);
  }

  #nextTimerAt(): number {
    const at = [this.#deadline, this.#nextReadAt];
    if (!this.#polling && !this.#watchOpen) at.push(this.#nextWatchAt);
    return Math.min(...at);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = () => {};
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#wake = done;
    });
  }

  #timeoutError(): Error {
    const { options } = this;
    const obj = this.#object;
    const seconds = Math.round(options.timeoutMs / 100) / 10;
    if (!obj) {
      if (this.#everSeen || apiCode(this.#lastError) === 404) {
        return new ProductError(
          `${options.what}: ${options.describe} is gone (not found after ${seconds} s)`,
        );
      }
      return new InfraError(
        `${options.what}: could not read the resource for ${seconds} s: ${apiErrorText(this.#lastError)}`,
        { cause: this.#lastError },
      );
    }
    const unmet = options.ready
      .map((e) => ({ e, ...evaluate(e, obj, options.version) }))
      .filter((r) => !r.holds)
      .map((r) => `${describeExpression(r.e, options.version)} (seen: ${r.seen})`);
    const stale =
      this.#lastError === undefined ? '' : `; the last read failed: ${apiErrorText(this.#lastError)}`;
    return new ProductError(
      `${options.what}: ${options.describe} not ready after ${seconds} s: ${unmet.join('; ')} did not hold${stale}`,
    );
  }
}

/** The HTTP status in a watch's end: client-node's `statusCode`, an ERROR event's Status `code`. */
function statusOf(why: unknown): number | undefined {
  if (why === null || typeof why !== 'object') return undefined;
  const { statusCode, code } = why as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  return typeof code === 'number' ? code : undefined;
}

function describeEnd(why: unknown): string {
  if (why === null || why === undefined) return 'closed by the server';
  const status = why as { kind?: unknown; message?: unknown };
  const code = statusOf(why);
  if (status.kind === 'Status' && typeof status.message === 'string') return `${code}: ${status.message}`;
  return code === undefined ? errorMessage(why) : `${code} ${errorMessage(why)}`;
}
