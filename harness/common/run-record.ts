import type { FailureClass, Outcome, PhaseName, PhaseRecord, TimelineEvent } from './sample.js';

export const RUN_RECORD_SCHEMA_VERSION = 1;

export const CELL_STATUSES = [
  'passed',
  'failed',
  'errored',
  'inconclusive',
  'interrupted',
  'timedout',
] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

/** What a failed check is about; `expect.reason` in a matrix names one of these. */
export const CHECK_CATEGORIES = [
  'upgrade-failed',
  'downtime',
  'error-budget',
  'latency',
  'version',
  'rollback',
  'data-loss',
  'load',
  'infrastructure',
] as const;
export type CheckCategory = (typeof CHECK_CATEGORIES)[number];

export interface Check {
  name: string;
  category: CheckCategory;
  passed: boolean;
  /** The measured number (or null when nothing could be measured). */
  value: number | null;
  /** The limit it was held against. */
  limit: number | null;
  /** One line a person reads: "downtime 3.2 s > 0 s allowed". */
  message: string;
}

export interface DowntimeInterval {
  sampler: string;
  /** The phase the interval began in (upgrade, rollback, ...). */
  phase?: string;
  startedAt: number;
  endedAt: number;
  seconds: number;
  failedSamples: number;
  failureClasses: Partial<Record<FailureClass, number>>;
}

export interface ErrorBudget {
  /** SLO success ratio, e.g. 0.999. */
  target: number;
  windowStart: number;
  windowEnd: number;
  requests: number;
  failures: number;
  allowedFailures: number;
  /** failures / allowedFailures; Infinity is written as null in JSON, so a 0-allowance breach is 1e9. */
  consumedRatio: number;
  failureClasses: Partial<Record<FailureClass, number>>;
  /** First and last failure inside the window (null when none). */
  firstFailureAt: number | null;
  lastFailureAt: number | null;
  byPhase: Record<string, { requests: number; failures: number }>;
  byEndpointClass: Record<string, { requests: number; failures: number }>;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The achieved rate within one phase: requests that started in it over its time under load. */
export interface PhaseRate {
  /** Seconds of the phase while the load ran. */
  seconds: number;
  requests: number;
  achievedRate: number;
  /** False when the phase was too short to judge (fewer than 100 requests expected). */
  judged: boolean;
}

/** The process that generated the load, over the load's run. */
export interface ProcessLoad {
  seconds: number;
  /** CPU time (user + system) per wall second: 1.0 is one core busy. */
  cpuCores: number;
  /** Share of the time the event loop was busy (0..1): near 1 it could not keep the schedule. */
  eventLoopUtilization: number;
}

export interface LoadCheck {
  targetRate: number;
  achievedRate: number;
  scheduled: number;
  sent: number;
  dropped: number;
  scheduleLagP99Ms: number;
  /** Achieved rate per phase that overlapped the load (absent in records written before it existed). */
  byPhase?: Record<string, PhaseRate>;
  /** The generator's process (the harness itself for in-process drivers); absent when not measured. */
  process?: ProcessLoad;
  ok: boolean;
  reason?: string;
}

export interface RollbackResult {
  attempted: boolean;
  succeeded: boolean | null;
  seconds: number | null;
  /** Downtime users saw from rollback start to the end of verify-rollback (worst sampler). */
  downtimeSeconds?: number;
  reason?: string;
}

export interface DataIntegrity {
  acknowledged: number;
  verified: number;
  /** Acknowledged keys that a read answered as missing. */
  lost: number;
  /** Acknowledged keys that could not be read back (errors), so are neither verified nor known lost. */
  unverified: number;
  lostKeys: string[];
}

export interface CellExpectation {
  status: CellStatus;
  reason?: CheckCategory;
}

/** One time bucket of a cell's traffic, by the requests' start. */
export interface TimelineBucket {
  /** Bucket start, epoch ms. */
  t: number;
  total: number;
  failed: number;
  byOutcome: Partial<Record<Outcome, number>>;
  /** Serving version of the ok responses (`unknown` when none was read). */
  byVersion: Record<string, number>;
  /** Latency of the ok responses from the intended start (2 significant digits); null without any. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Requests and failures per endpoint class (absent when the bucket is empty). */
  byClass?: Record<string, { total: number; failed: number }>;
  /**
   * Error-budget burn rate: (failed / total) / (1 − SLO success ratio); 1 spends the budget exactly
   * as fast as allowed, 1e9 for failures under a 100 % target; absent for an empty bucket. Set by the analysis.
   */
  burnRate?: number;
}

/** The cell's traffic in time buckets, for charts and burn rates; every bucket from the first to the last request. */
export interface CellTimeline {
  bucketMs: number;
  /** Origin of the bucket grid (bucket k starts at startedAt + k × bucketMs). */
  startedAt: number;
  buckets: TimelineBucket[];
}

/** What happened to a workload's pods while the cell was observed (observe/pod-timeline.ts WorkloadSummary). */
export interface KubeWorkloadSummary {
  /** `Deployment/web`, `StatefulSet/db`, `Pod/<name>` for a pod without owner. */
  workload: string;
  podsSeen: number;
  restarts: number;
  /** The most pods of this workload that existed and were not ready at the same time. */
  maxNotReady: number;
  /** Container images in the order first seen. */
  images: string[];
}

/** Pod changes counted in a span of time (observe/pod-phases.ts PhaseCounts). */
export interface KubePhaseCounts {
  /** Container restarts (sum of restartCount increases). */
  restarts: number;
  /** Ready → not-ready transitions. */
  notReady: number;
  /** Warning Events. */
  warnings: number;
  podsAdded: number;
  podsDeleted: number;
  imageChanges: number;
  /** Workloads with a restart, a not-ready transition or a warning, sorted. */
  workloads: string[];
}

/** The pod changes that fell in one phase of the cell (one entry per phase record, hops repeat). */
export interface KubePhaseAttribution extends KubePhaseCounts {
  phase: PhaseName;
  detail?: string;
  startedAt: number;
  endedAt: number;
}

/** Connections through the harness's port-forward (platforms/kube/port-forward.ts ServiceForwardStats). */
export interface KubePortForwardStats {
  accepted: number;
  tunnelled: number;
  noReadyPod: number;
  /** Tunnels that failed on the product's side (its pod went away or was not running). */
  errors: number;
  /** Connections reset because the API server failed the tunnel (no answer, 5xx, 403): the harness's path, not the product. */
  apiErrors?: number;
}

/** What the pod observer saw of the product's workload during a cell on Kubernetes. */
export interface KubernetesCellRecord {
  /** The namespace the product's pods run in. */
  namespace: string;
  workloads: KubeWorkloadSummary[];
  /** Per phase record, in the cell's phase order. */
  byPhase: KubePhaseAttribution[];
  /** Changes in no phase (between phases, or after the last one). */
  outside: KubePhaseCounts;
  kubeEvents: { total: number; warnings: number };
  /** Present when the traffic went through a port-forward. */
  portForward?: KubePortForwardStats;
  /** What limited the observation (a watch that gave up, events not kept, a slow stop). */
  notes: string[];
}

export interface CellRecord {
  id: string;
  axes: Record<string, string>;
  status: CellStatus;
  /** Short reason for a non-passed status, e.g. "error-budget" or the infrastructure error. */
  /** Why a cell did not pass: the categories of its failed checks (the expected one first), or the error. */
  reason?: string;
  expected?: CellExpectation;
  matchedExpectation: boolean;
  startedAt: number;
  endedAt: number;
  phases: PhaseRecord[];
  events: TimelineEvent[];
  /** Downtime in the upgrade window (upgrade start → settle end), worst sampler; what the SLO judges. */
  downtimeSeconds: number;
  /** Every downtime interval of the cell, whatever phase it fell in. */
  downtime: DowntimeInterval[];
  errorBudget: ErrorBudget;
  requests: { total: number; failed: number; dropped: number; byOutcome: Partial<Record<Outcome, number>> };
  latency: Record<string, LatencySummary>;
  versions: {
    servedBy: Record<string, number>;
    mixedWindow: { startedAt: number; endedAt: number; seconds: number } | null;
  };
  rollback: RollbackResult;
  dataIntegrity: DataIntegrity;
  load: LoadCheck;
  checks: Check[];
  /** Traffic over time in buckets (absent for cells that measured nothing). */
  timeline?: CellTimeline;
  /** Why some checks were not made (things that never happened are not judged). */
  notes?: string[];
  error?: { phase: string; message: string };
  /** The product's pods as observed on Kubernetes (absent on other platforms and in older records). */
  kubernetes?: KubernetesCellRecord;
  /** Relative to the run directory. */
  artifactsDir: string;
}

/** One slice of a matrix run on its own (`run --shard 2/3`): 1 <= index <= count. */
export interface RunShard {
  index: number;
  count: number;
  /**
   * Cells of the whole matrix the shards are slices of (after `--filter`), so `merge-reports` can
   * tell a missing shard or a shard cut from another cell set. Absent in records written before it existed.
   */
  matrixCells?: number;
  /** sha256 (hex) of the JSON list of those cells' ids, sorted by UTF-16 code unit (run/shard.ts `cellIdsHash`). */
  matrixCellIdsHash?: string;
}

/** A run that `merge-reports` joined into this one. */
export interface MergedRun {
  runId: string;
  /** The run directory as it was given to merge-reports. */
  dir: string;
  shard?: RunShard;
  host: { node: string; platform: string; cpus: number };
}

export interface RunRecord {
  schemaVersion: typeof RUN_RECORD_SCHEMA_VERSION;
  runId: string;
  tool: { name: string; version: string };
  startedAt: number;
  endedAt: number;
  status: 'completed' | 'interrupted';
  exitCode: number;
  matrix: { file: string; name: string };
  scenario: { file: string; name: string };
  host: { node: string; platform: string; cpus: number };
  cells: CellRecord[];
  /** The slice of the matrix this run ran (absent: every cell the filters kept). */
  shard?: RunShard;
  /** The runs `merge-reports` joined into this one, in the order their cells appear. */
  mergedFrom?: MergedRun[];
  /**
   * Why this merged run is not the whole matrix (`merge-reports --allow-partial`): missing shards,
   * shards cut from different cell sets, cells missing from a shard. Absent when it is whole.
   */
  mergeWarnings?: string[];
}
