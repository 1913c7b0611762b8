/** How one request ended. `ok` means the expected status (and body check, if any) was seen. */
export const OUTCOMES = [
  'ok',
  'http_5xx',
  'http_4xx',
  'timeout',
  'refused',
  'reset',
  'dns',
  'other',
] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type FailureClass = Exclude<Outcome, 'ok'>;

/** Reused connections (keep-alive pool) or a fresh connection per request, as OpenShift samples. */
export type ConnectionMode = 'reused' | 'new';

/** One request's record. All times are epoch milliseconds with sub-millisecond precision. */
export interface Sample {
  /** Stable sampler id: `${endpoint}:${connection}`; downtime is computed per sampler. */
  sampler: string;
  endpoint: string;
  endpointClass: string;
  connection: ConnectionMode;
  /** When the schedule said the request should start (latency is measured from here). */
  intendedStartMs: number;
  /** When it was actually dispatched. */
  startMs: number;
  endMs: number;
  outcome: Outcome;
  status?: number;
  /** Serving version read from the response (header or body field the scenario names). */
  version?: string;
}

/** A phase of a cell as it happened. */
export type PhaseName =
  | 'provision'
  | 'install'
  | 'seed'
  | 'baseline'
  | 'upgrade'
  | 'settle'
  | 'rollback'
  | 'verify-rollback'
  | 'verify-data'
  | 'diagnostics'
  | 'teardown';

export type PhaseStatus = 'passed' | 'failed' | 'skipped' | 'errored' | 'interrupted' | 'timedout';

export interface PhaseRecord {
  name: PhaseName;
  startedAt: number;
  endedAt: number;
  status: PhaseStatus;
  error?: string;
  /** For multi-hop paths and other phase detail (e.g. the hop `1.0.0→1.1.0`). */
  detail?: string;
}

/** A timestamped note on the cell's timeline (replica replaced, hook ran, ...). */
export interface TimelineEvent {
  at: number;
  kind: string;
  message: string;
}
