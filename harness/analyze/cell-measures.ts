import type { CellTimeline, DowntimeInterval, ErrorBudget, LatencySummary } from '../common/run-record.js';
import type { Outcome, PhaseRecord } from '../common/sample.js';
import type { PhaseVersions } from './checks.js';
import type { VersionsSummary } from './versions.js';

/** What the phases and versions the measurement is judged against are. */
export interface MeasureContext {
  phases: readonly PhaseRecord[];
  /** SLO success ratio (the error budget's target). */
  successRatio: number;
  from: string;
  to: string;
  /** The stops of a multi-hop path, in order (PathConfig.via). */
  via?: readonly string[];
}

/**
 * Everything the verdict needs from the traffic, however it was gathered: from a folded stream
 * (`measureFolded`) or from an array of samples (`measureSamples`, the reference).
 */
export interface CellMeasures {
  total: number;
  byOutcome: Partial<Record<Outcome, number>>;
  /** Every downtime interval, with the phase it began in. */
  downtime: DowntimeInterval[];
  errorBudget: ErrorBudget;
  latency: Record<string, LatencySummary>;
  /** Phase ('all' too) → endpoint class → latency of its ok samples; keys sorted (see latencyByClass). */
  latencyByClass: Record<string, Record<string, LatencySummary>>;
  /** Sampler → the endpoint class of its samples, sorted by sampler. */
  samplerClasses: Record<string, string>;
  versions: VersionsSummary;
  /** Ok responses that started in settle, against `to`. */
  settleVersions: PhaseVersions;
  /** Ok responses that started in verify-rollback, against `from`. */
  rollbackVersions: PhaseVersions;
  /** Per stop of a multi-hop path whose settle ran: ok responses of that settle, against the stop. */
  stopVersions: Array<{ stop: string; hop: number; versions: PhaseVersions }>;
  timeline?: CellTimeline;
  /** Samples left out of the downtime runs because they arrived too late to be put in order. */
  lateSamples: number;
}
