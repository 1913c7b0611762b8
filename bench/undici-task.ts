import { type Dispatcher, Pool } from 'undici';
import { startEnvProbe } from './measure.js';
import type { BareLoopCounts, UndiciResult, UndiciTask } from './types.js';

/** How long a lane waits after an error before it sends again (no hot loop when the server is gone). */
const ERROR_BACKOFF_MS = 10;

/** What the loop learns from one exchange. */
interface LoopSink {
  completed(status: number): void;
  failed(): void;
}

/**
 * The least a dispatch handler can do: remember the status, drop the body, report the end.
 * No timestamps, no header parsing, no sample.
 */
class BareHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private settled = false;

  constructor(private readonly sink: LoopSink) {}

  onConnect(_abort: (err?: Error) => void): void {}

  onHeaders(statusCode: number, _headers: Buffer[], _resume: () => void, _statusText: string): boolean {
    this.status = statusCode;
    return true;
  }

  onData(_chunk: Buffer): boolean {
    return true;
  }

  onComplete(_trailers: string[] | null): void {
    if (this.settled) return;
    this.settled = true;
    this.sink.completed(this.status);
  }

  onError(_err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.sink.failed();
  }
}

/**
 * A closed loop of `connections` concurrent requests on one undici Pool: each completion
 * dispatches the next request at once, until `durationMs` passed or `maxRequests` were sent; then
 * the requests in flight end (each bounded by `timeoutMs`) and the pool closes.
 */
export async function bareDispatchLoop(opts: {
  url: string;
  connections: number;
  durationMs: number;
  timeoutMs: number;
  maxRequests: number;
}): Promise<BareLoopCounts> {
  const url = new URL(opts.url);
  // The options BuiltinLoadDriver gives its pool of reused connections.
  const pool = new Pool(url.origin, { connect: { timeout: opts.timeoutMs }, keepAliveTimeout: 10_000 });
  const request: Dispatcher.DispatchOptions = {
    origin: url.origin,
    path: url.pathname,
    method: 'GET',
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  };
  const counts: BareLoopCounts = { sent: 0, ok: 0, non2xx: 0, errors: 0, windowMs: 0 };
  let running = true;
  let inFlight = 0;
  let backingOff = 0;
  let onIdle: () => void = () => undefined;
  const idle = new Promise<void>((resolve) => {
    onIdle = resolve;
  });
  const checkIdle = () => {
    if (!running && inFlight === 0 && backingOff === 0) onIdle();
  };

  const send = (): void => {
    if (!running || counts.sent >= opts.maxRequests) {
      running = false;
      checkIdle();
      return;
    }
    counts.sent++;
    inFlight++;
    pool.dispatch(request, new BareHandler(sink)); // errors (even synchronous ones) arrive through onError
  };
  const sink: LoopSink = {
    completed(status) {
      inFlight--;
      if (status >= 200 && status <= 299) counts.ok++;
      else counts.non2xx++;
      send();
    },
    failed() {
      inFlight--;
      counts.errors++;
      backingOff++;
      setTimeout(() => {
        backingOff--;
        send();
      }, ERROR_BACKOFF_MS);
    },
  };

  const started = performance.now();
  const stopTimer = setTimeout(() => {
    running = false;
    checkIdle();
  }, opts.durationMs);
  for (let i = 0; i < opts.connections; i++) send();
  try {
    await idle;
  } finally {
    clearTimeout(stopTimer);
    counts.windowMs = performance.now() - started;
    await pool.close();
  }
  return counts;
}

/** The bare loop in a child process, with its CPU and the server's and machine's around it. */
export async function runUndici(task: UndiciTask): Promise<UndiciResult> {
  const probe = await startEnvProbe(task.serverPid, task.ticks);
  const cpuBefore = process.cpuUsage();
  const counts = await bareDispatchLoop(task);
  const cpu = process.cpuUsage(cpuBefore);
  const env = await probe.stop();
  return {
    kind: 'undici',
    ...counts,
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
    env,
  };
}
