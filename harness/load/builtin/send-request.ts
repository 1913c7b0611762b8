import type { Dispatcher } from 'undici';
import type { Outcome } from '../../common/sample.js';
import type { VersionProbeConfig } from '../../config/types.js';
import { outcomeForError, outcomeForStatus, readVersion } from './classify.js';

export interface RequestResult {
  outcome: Outcome;
  status?: number;
  version?: string;
  endMs: number;
}

/** What one request needs besides its dispatch options; built once per endpoint. */
export interface ExchangeSpec {
  expectStatus: readonly number[];
  versionProbe: VersionProbeConfig;
  /** Lower-cased probe header name, or null when the probe reads no header. */
  versionHeader: string | null;
}

/**
 * A low-overhead undici dispatch handler for one request: the body is drained by counting bytes
 * (kept only when the probe reads a JSON field), the version header is picked out of the raw
 * headers. Settles exactly once with a result (errors become failure classes); never throws.
 */
export class Exchange<T> implements Dispatcher.DispatchHandler {
  /** Set by `expire()` once the deadline passed; the error then counts as a timeout. */
  timedOut = false;
  /** When the exchange must be over (ms on the caller's clock). */
  readonly deadline: number;
  private abortFn: ((err?: Error) => void) | null = null;
  private status: number | undefined;
  private version: string | undefined;
  private chunks: Buffer[] | null = null;
  private bytes = 0;
  private settled = false;

  constructor(
    private readonly spec: ExchangeSpec,
    /** The caller's data about this request, handed back with the result. */
    readonly meta: T,
    deadline: number,
    private readonly now: () => number,
    private readonly done: (exchange: Exchange<T>, result: RequestResult) => void,
  ) {
    this.deadline = deadline;
  }

  /** Bytes of body received so far. */
  get bodyBytes(): number {
    return this.bytes;
  }

  /** Aborts the request as a timeout (our own deadline). */
  expire(): void {
    if (this.settled) return;
    this.timedOut = true;
    const abort = this.abortFn;
    if (abort) abort(Object.assign(new Error('request deadline exceeded'), { name: 'TimeoutError' }));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.timedOut) this.expire();
  }

  onHeaders(statusCode: number, headers: Buffer[], _resume: () => void, _statusText: string): boolean {
    this.status = statusCode;
    const name = this.spec.versionHeader;
    if (name !== null) {
      for (let i = 0; i + 1 < headers.length; i += 2) {
        const key = headers[i] as Buffer;
        if (key.length === name.length && key.toString('latin1').toLowerCase() === name) {
          const value = (headers[i + 1] as Buffer).toString('utf8');
          if (value !== '') this.version = value;
          break;
        }
      }
    }
    if (this.spec.versionProbe.jsonField) this.chunks = [];
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.chunks) this.chunks.push(chunk);
    return true;
  }

  onComplete(_trailers: string[] | null): void {
    if (this.settled) return;
    this.settled = true;
    const status = this.status as number;
    const result: RequestResult = {
      outcome: outcomeForStatus(status, this.spec.expectStatus),
      status,
      endMs: this.now(),
    };
    let version = this.version;
    if (version === undefined && this.chunks) {
      const text = Buffer.concat(this.chunks).toString('utf8');
      version = readVersion({}, text, this.spec.versionProbe);
    }
    if (version !== undefined) result.version = version;
    this.chunks = null;
    this.done(this, result);
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.chunks = null;
    const result: RequestResult = { outcome: outcomeForError(err, this.timedOut), endMs: this.now() };
    if (this.status !== undefined) result.status = this.status;
    this.done(this, result);
  }
}
