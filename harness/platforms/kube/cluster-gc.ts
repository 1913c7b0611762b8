import type { ClusterMarker, MarkerPlatformName } from './cluster-marker.js';
import { isHarnessCluster } from './cluster-name.js';

/** Who made a cluster, from its marker or (k3d) its container labels. */
export interface ClusterOwner {
  runId: string;
  cellId: string | undefined;
  host: string;
  pid: number;
  createdAt: string;
}

export interface GcCandidate {
  platform: MarkerPlatformName;
  name: string;
  marker: ClusterMarker | undefined;
  /** k3d and k3s container labels without the prefix (run, cell, host, pid, created). */
  labels?: Record<string, string>;
}

export interface GcPolicy {
  now: number;
  /** This machine's host name. */
  host: string;
  /** Clusters created longer ago than this are deleted whoever owns them. */
  olderThanMs: number;
  /** Keep `uh-` clusters nobody is recorded as owning (default: they are deleted). */
  keepUnknown: boolean;
  isProcessAlive(pid: number): boolean;
}

export interface GcVerdict {
  action: 'delete' | 'keep';
  reason: string;
  owner: ClusterOwner | undefined;
}

export function clusterOwner(candidate: GcCandidate): ClusterOwner | undefined {
  const m = candidate.marker;
  if (m && m.platform === candidate.platform) {
    return { runId: m.runId, cellId: m.cellId, host: m.host, pid: m.pid, createdAt: m.createdAt };
  }
  const l = candidate.labels;
  const pid = Number(l?.pid);
  if (l?.run && l.host && Number.isInteger(pid) && l.created) {
    return { runId: l.run, cellId: l.cell, host: l.host, pid, createdAt: l.created };
  }
  return undefined;
}

/** `90s`, `45m`, `26h`, `3d`: the largest unit that keeps it whole-ish. */
export function formatDurationMs(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 72) return `${h}h`;
  return `${Math.round(h / 24)}d`;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `24h`, `90m`, `1h30m`, `2d`; undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?[smhd])+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) && total > 0 ? total : undefined;
}

/**
 * Whether `gc` deletes a cluster. Never one without the `uh-` prefix. Dead: no owner recorded
 * (unless keepUnknown), older than the limit, or made on this host by a process that is gone.
 * Alive: its process on this host still runs, or it was made elsewhere and is young.
 */
export function judgeCluster(candidate: GcCandidate, policy: GcPolicy): GcVerdict {
  if (!isHarnessCluster(candidate.name)) {
    return { action: 'keep', reason: 'not made by upgrade-harness', owner: undefined };
  }
  const owner = clusterOwner(candidate);
  if (!owner) {
    return policy.keepUnknown
      ? { action: 'keep', reason: 'no marker says which run owns it (--keep-unknown)', owner }
      : { action: 'delete', reason: 'no marker says which run owns it', owner };
  }
  const created = Date.parse(owner.createdAt);
  const age = Number.isFinite(created) ? policy.now - created : undefined;
  if (age !== undefined && age > policy.olderThanMs) {
    return {
      action: 'delete',
      reason: `created ${formatDurationMs(age)} ago, longer than ${formatDurationMs(policy.olderThanMs)}`,
      owner,
    };
  }
  if (owner.host === policy.host) {
    return policy.isProcessAlive(owner.pid)
      ? { action: 'keep', reason: `its run (pid ${owner.pid}) is still running`, owner }
      : { action: 'delete', reason: `its run (pid ${owner.pid} on this host) is gone`, owner };
  }
  const ago = age === undefined ? '' : ` ${formatDurationMs(age)} ago`;
  return {
    action: 'keep',
    reason: `made on host ${owner.host}${ago}: its run may be alive there (--older-than decides)`,
    owner,
  };
}
