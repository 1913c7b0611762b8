import type { V1Namespace } from '@kubernetes/client-node';
import { formatDurationMs } from './cluster-gc.js';
import { namespaceOwner } from './namespace-labels.js';

/** A namespace labelled `app.kubernetes.io/managed-by=upgrade-harness`, as `gc` sees it. */
export interface NamespaceCandidate {
  name: string;
  owner: ReturnType<typeof namespaceOwner>;
  /** Already being deleted (it has a deletionTimestamp). */
  terminating: boolean;
}

export interface NamespaceGcPolicy {
  now: number;
  /** This machine's host name. */
  host: string;
  /** Delete the namespaces of runs on other hosts (and of unknown owners) too. */
  includeOtherHosts: boolean;
  isProcessAlive(pid: number): boolean;
  /** This machine's boot id, and a process's start time (harness/common/process-identity.ts). */
  bootId?: string;
  processStart?(pid: number): string | undefined;
}

/** `unknown`: made elsewhere or by nobody recorded; listed, deleted only with --include-other-hosts. */
export interface NamespaceVerdict {
  action: 'delete' | 'keep' | 'unknown';
  reason: string;
}

export function namespaceCandidate(ns: V1Namespace): NamespaceCandidate {
  const meta = ns.metadata ?? {};
  return {
    name: meta.name ?? '',
    owner: namespaceOwner(meta.labels, meta.annotations),
    terminating: meta.deletionTimestamp !== undefined,
  };
}

/**
 * Whether `gc` deletes a cell's namespace: when its run's process on this host is gone. One made
 * on another host (or with no owner recorded) may belong to a live run there: it is `unknown`,
 * deleted only with --include-other-hosts.
 */
export function judgeNamespace(candidate: NamespaceCandidate, policy: NamespaceGcPolicy): NamespaceVerdict {
  if (candidate.terminating) return { action: 'keep', reason: 'already being deleted (Terminating)' };
  const { host, pid, createdAt } = candidate.owner;
  const created = createdAt ? Date.parse(createdAt) : Number.NaN;
  const ago = Number.isFinite(created) ? ` ${formatDurationMs(policy.now - created)} ago` : '';
  if (host === undefined || pid === undefined) {
    return policy.includeOtherHosts
      ? { action: 'delete', reason: 'no owner recorded (--include-other-hosts)' }
      : { action: 'unknown', reason: 'no owner recorded: --include-other-hosts deletes it' };
  }
  const { bootId, pidStart } = candidate.owner;
  if (host === policy.host && bootId && policy.bootId && bootId !== policy.bootId) {
    // Same host name, another boot: this machine rebooted, or another one is named alike (CI job
    // containers often are) and its run may be alive there.
    return policy.includeOtherHosts
      ? { action: 'delete', reason: `made on host ${host} under another boot${ago} (--include-other-hosts)` }
      : {
          action: 'unknown',
          reason: `made on host ${host} under another boot${ago}: a machine named alike may run it (--include-other-hosts deletes it)`,
        };
  }
  if (host === policy.host) {
    if (!policy.isProcessAlive(pid))
      return { action: 'delete', reason: `its run (pid ${pid} on this host) is gone` };
    const now = pidStart ? policy.processStart?.(pid) : undefined;
    if (pidStart && now !== undefined && now !== pidStart)
      return { action: 'delete', reason: `its run is gone (pid ${pid} now belongs to another process)` };
    return { action: 'keep', reason: `its run (pid ${pid}) is still running` };
  }
  return policy.includeOtherHosts
    ? { action: 'delete', reason: `made on host ${host}${ago} (--include-other-hosts)` }
    : {
        action: 'unknown',
        reason: `made on host ${host}${ago}: its run may be alive there (--include-other-hosts deletes it)`,
      };
}

/** `namespace uh-1a2b3c4d (run r, cell c)`. */
export function describeNamespace(candidate: NamespaceCandidate): string {
  const { run, cellId } = candidate.owner;
  const owner = run ? ` (run ${run}${cellId ? `, cell ${cellId}` : ''})` : '';
  return `namespace ${candidate.name}${owner}`;
}
