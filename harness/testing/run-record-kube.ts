/**
 * The `kubernetes` part of a built cell: what the pod observer would have recorded for a rolling
 * upgrade of `Deployment/web` (two pods replaced, two restarts during the upgrade). Deterministic.
 */

import type {
  CellRecord,
  KubePhaseAttribution,
  KubePhaseCounts,
  KubernetesCellRecord,
} from '../common/run-record.js';
import { emptyCounts } from '../observe/pod-phases.js';

export interface KubeInit {
  namespace?: string;
  /** Restarts of `workload` during the upgrade phase(s); default 2. */
  upgradeRestarts?: number;
  /** Restarts during settle; default 0. */
  settleRestarts?: number;
  /** The workload the restarts belong to; default `Deployment/web`. */
  workload?: string;
  /** Extra workloads (no restarts). */
  otherWorkloads?: string[];
  portForward?: KubernetesCellRecord['portForward'];
  notes?: string[];
}

function counts(init: Partial<KubePhaseCounts> = {}): KubePhaseCounts {
  return { ...emptyCounts(), ...init };
}

/** A copy of `cell` with a `kubernetes` record attributed to its phases. */
export function withKubernetes(cell: CellRecord, init: KubeInit = {}): CellRecord {
  const workload = init.workload ?? 'Deployment/web';
  const upgradeRestarts = init.upgradeRestarts ?? 2;
  const settleRestarts = init.settleRestarts ?? 0;
  const byPhase: KubePhaseAttribution[] = cell.phases.map((p) => {
    const base = {
      phase: p.name,
      ...(p.detail !== undefined ? { detail: p.detail } : {}),
      startedAt: p.startedAt,
      endedAt: p.endedAt,
    };
    if (p.name === 'upgrade') {
      return {
        ...base,
        ...counts({
          restarts: upgradeRestarts,
          notReady: 2,
          warnings: upgradeRestarts > 0 ? 1 : 0,
          podsAdded: 2,
          podsDeleted: 2,
          imageChanges: 2,
          workloads: [workload],
        }),
      };
    }
    if (p.name === 'settle' && settleRestarts > 0) {
      return { ...base, ...counts({ restarts: settleRestarts, workloads: [workload] }) };
    }
    if (p.name === 'install') return { ...base, ...counts({ podsAdded: 2 }) };
    return { ...base, ...counts() };
  });
  const kubernetes: KubernetesCellRecord = {
    namespace: init.namespace ?? 'uh-run-cell',
    workloads: [
      {
        workload,
        podsSeen: 4,
        restarts: upgradeRestarts + settleRestarts,
        maxNotReady: 1,
        images: ['registry.example/web:1.0.0', 'registry.example/web:1.1.0'],
      },
      ...(init.otherWorkloads ?? []).map((w) => ({
        workload: w,
        podsSeen: 1,
        restarts: 0,
        maxNotReady: 0,
        images: ['registry.example/other:1'],
      })),
    ],
    byPhase,
    outside: counts({ podsDeleted: 2 }),
    kubeEvents: { total: 14, warnings: upgradeRestarts > 0 ? 1 : 0 },
    ...(init.portForward ? { portForward: init.portForward } : {}),
    notes: init.notes ?? [],
  };
  return { ...cell, kubernetes };
}
