import type { PhaseName, PhaseRecord } from '../common/sample.js';
import type { PodTimelineEvent } from './pod-timeline.js';

export interface PhaseCounts {
  /** Container restarts (sum of restartCount increases). */
  restarts: number;
  /** Ready → not-ready transitions. */
  notReady: number;
  /** Warning kube-events. */
  warnings: number;
  podsAdded: number;
  podsDeleted: number;
  imageChanges: number;
  /** Workloads with a restart, a not-ready transition or a warning about one of their pods, sorted. */
  workloads: string[];
}

export interface PhaseAttribution extends PhaseCounts {
  phase: PhaseName;
  detail?: string;
  startedAt: number;
  endedAt: number;
}

export interface Attribution {
  phases: PhaseAttribution[];
  /** Events in no phase (before the first, after the last, or in a gap). */
  outside: PhaseCounts;
}

export function emptyCounts(): PhaseCounts {
  return {
    restarts: 0,
    notReady: 0,
    warnings: 0,
    podsAdded: 0,
    podsDeleted: 0,
    imageChanges: 0,
    workloads: [],
  };
}

function add(counts: PhaseCounts, event: PodTimelineEvent, podWorkloads: Map<string, string>): void {
  let workload: string | undefined;
  switch (event.kind) {
    case 'container-restarted':
      counts.restarts += event.increase;
      workload = event.workload;
      break;
    case 'pod-not-ready':
      counts.notReady += 1;
      workload = event.workload;
      break;
    case 'kube-event':
      if (event.eventType !== 'Warning') return;
      counts.warnings += 1;
      workload =
        event.involvedObject.kind === 'Pod' ? podWorkloads.get(event.involvedObject.name) : undefined;
      break;
    case 'pod-added':
      if (!event.initial) counts.podsAdded += 1;
      return;
    case 'pod-deleted':
      counts.podsDeleted += 1;
      return;
    case 'image-changed':
      counts.imageChanges += 1;
      return;
    default:
      return;
  }
  if (workload && !counts.workloads.includes(workload)) {
    counts.workloads.push(workload);
    counts.workloads.sort();
  }
}

/**
 * The phases each event falls in: `startedAt <= at < endedAt`; an event exactly at the end of a
 * phase that no other phase starts at belongs to that phase. Overlapping phases each count it.
 */
function phasesAt(at: number, phases: PhaseRecord[]): number[] {
  const inside = phases.flatMap((p, i) => (p.startedAt <= at && at < p.endedAt ? [i] : []));
  if (inside.length > 0) return inside;
  return phases.flatMap((p, i) => (at === p.endedAt && p.startedAt <= at ? [i] : []));
}

/**
 * Counts restarts, not-ready transitions and warnings (and pod churn) per phase, so errors can
 * be attributed to the phase or rollout that overlapped them. Pure: same input, same output.
 */
export function attributeToPhases(
  events: readonly PodTimelineEvent[],
  phases: readonly PhaseRecord[],
): Attribution {
  const list = [...phases];
  const result: Attribution = {
    phases: list.map((p) => ({
      phase: p.name,
      ...(p.detail !== undefined ? { detail: p.detail } : {}),
      startedAt: p.startedAt,
      endedAt: p.endedAt,
      ...emptyCounts(),
    })),
    outside: emptyCounts(),
  };
  const podWorkloads = new Map<string, string>();
  for (const event of events) {
    if (event.kind !== 'kube-event') podWorkloads.set(event.pod, event.workload);
  }
  for (const event of events) {
    const hits = phasesAt(event.at, list);
    if (hits.length === 0) add(result.outside, event, podWorkloads);
    for (const i of hits) {
      const target = result.phases[i];
      if (target) add(target, event, podWorkloads);
    }
  }
  return result;
}
