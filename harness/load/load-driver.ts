import type { RunContext } from '../common/context.js';
import type { DataIntegrity } from '../common/run-record.js';
import type { Sample } from '../common/sample.js';
import type { EndpointConfig, SqlTrafficConfig, VersionProbeConfig, WriterConfig } from '../config/types.js';

/** Where traffic goes: the product's front door(s). */
export interface LoadTarget {
  /**
   * Base URLs, e.g. `http://127.0.0.1:41234` (requests round-robin over them), or for SQL traffic
   * the database's `postgres://` URL (the first one is used).
   */
  baseUrls: string[];
}

/** What one endpoint class gets of its own: an arrival rate and a request timeout. */
export interface ClassTraffic {
  /** Requests per second per connection mode for this class's endpoints, spread by weight. */
  rate?: number;
  /** Request timeout of this class's requests (default: the profile's timeoutMs). */
  timeoutMs?: number;
}

export interface LoadProfile {
  /**
   * Requests per second per connection mode, spread by weight over the endpoints whose class has
   * no rate of its own in `classes` (0 when every class has one).
   */
  rate: number;
  connections: Array<'reused' | 'new'>;
  /** Request timeout of the writer and of classes without their own. */
  timeoutMs: number;
  /** Rates and timeouts per endpoint class (absent: every endpoint shares `rate` and `timeoutMs`). */
  classes?: Readonly<Record<string, ClassTraffic>>;
  maxInFlight: number;
  endpoints: EndpointConfig[];
  versionProbe: VersionProbeConfig;
  /** Hard bound on how long the load may run, whatever the caller does. */
  maxDurationMs: number;
  writer?: WriterConfig;
  /** SQL traffic instead of HTTP endpoints (the sql driver); its version query is `versionProbe.sql`. */
  sql?: SqlTrafficConfig;
}

export interface LoadSummary {
  startedAt: number;
  stoppedAt: number;
  targetRate: number;
  scheduled: number;
  sent: number;
  dropped: number;
  scheduleLagP99Ms: number;
  /** Keys whose write was acknowledged (2xx), in order. Empty without a writer. */
  acknowledgedKeys: string[];
}

export interface RunningLoad {
  /** Every sample as it completes, including the writer's. Ends after stop(). Iterate once. */
  samples(): AsyncIterable<Sample>;
  /** Keys whose write was acknowledged so far (a snapshot, in order), for verifying the ledger mid-run. */
  acknowledgedKeys(): readonly string[];
  /** Stops scheduling, waits for in-flight requests (bounded by their timeout), returns the summary. */
  stop(): Promise<LoadSummary>;
}

export interface LedgerCheckOptions {
  signal: AbortSignal;
  /** Per read. */
  timeoutMs: number;
}

export interface LoadDriver {
  readonly name: string;
  start(target: LoadTarget, profile: LoadProfile, ctx: RunContext): Promise<RunningLoad>;
  /**
   * Reads back acknowledged keys of the profile's writer (the data-integrity ledger) from where
   * this driver wrote them; rejects with AbortedError when the signal is aborted.
   */
  verifyLedger(
    target: LoadTarget,
    profile: LoadProfile,
    keys: readonly string[],
    options: LedgerCheckOptions,
  ): Promise<DataIntegrity>;
}
