import { createHash } from 'node:crypto';

/**
 * How the harness marks the namespace it sets aside for a cell on an existing cluster, so that
 * `gc` can find the namespaces of runs that died: labels to select them, annotations to judge them.
 */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'upgrade-harness';
/** `app.kubernetes.io/managed-by=upgrade-harness`: every namespace the harness made. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
export const RUN_LABEL = 'upgrade-harness.io/run';
export const CELL_LABEL = 'upgrade-harness.io/cell';
export const HOST_ANNOTATION = 'upgrade-harness.io/host';
export const PID_ANNOTATION = 'upgrade-harness.io/pid';
export const CREATED_AT_ANNOTATION = 'upgrade-harness.io/created-at';
export const CELL_ID_ANNOTATION = 'upgrade-harness.io/cell-id';
/** The owner's kernel boot id and its process's start time: a reused pid or a look-alike host is not the run. */
export const BOOT_ID_ANNOTATION = 'upgrade-harness.io/boot-id';
export const PID_START_ANNOTATION = 'upgrade-harness.io/pid-start';

/** The 8 hex of sha256(`<runId>/<cellId>`): the same for the same run and cell. */
export function cellHash(runId: string, cellId: string): string {
  return createHash('sha256').update(`${runId}/${cellId}`).digest('hex').slice(0, 8);
}

/** `<prefix>-<cellHash>`: a DNS label (the prefix is at most 22 characters of [a-z0-9-]). */
export function cellNamespaceName(prefix: string, runId: string, cellId: string): string {
  return `${prefix}-${cellHash(runId, cellId)}`;
}

/** A Kubernetes label value: at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends (may be empty). */
export function toLabelValue(text: string): string {
  return text
    .replace(/[^\w.-]/g, '-')
    .slice(0, 63)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/gi, '');
}

export interface CellNamespaceOwner {
  runId: string;
  cellId: string;
  host: string;
  pid: number;
  /** ISO 8601. */
  createdAt: string;
  /** See harness/common/process-identity.ts; absent where /proc does not say. */
  bootId?: string;
  pidStart?: string;
}

/** The labels and annotations of a cell's namespace. */
export function cellNamespaceMeta(owner: CellNamespaceOwner): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  return {
    labels: {
      [MANAGED_BY_LABEL]: MANAGED_BY,
      [RUN_LABEL]: toLabelValue(owner.runId),
      [CELL_LABEL]: cellHash(owner.runId, owner.cellId),
    },
    annotations: {
      [HOST_ANNOTATION]: owner.host,
      [PID_ANNOTATION]: String(owner.pid),
      [CREATED_AT_ANNOTATION]: owner.createdAt,
      [CELL_ID_ANNOTATION]: owner.cellId,
      ...(owner.bootId ? { [BOOT_ID_ANNOTATION]: owner.bootId } : {}),
      ...(owner.pidStart ? { [PID_START_ANNOTATION]: owner.pidStart } : {}),
    },
  };
}

/** What a namespace's annotations say about its owner; undefined fields when they are missing or malformed. */
export function namespaceOwner(
  labels: Readonly<Record<string, string>> = {},
  annotations: Readonly<Record<string, string>> = {},
): {
  run?: string;
  cellId?: string;
  host?: string;
  pid?: number;
  createdAt?: string;
  bootId?: string;
  pidStart?: string;
} {
  const pid = Number(annotations[PID_ANNOTATION]);
  const created = annotations[CREATED_AT_ANNOTATION];
  return {
    ...(labels[RUN_LABEL] ? { run: labels[RUN_LABEL] } : {}),
    ...(annotations[CELL_ID_ANNOTATION] ? { cellId: annotations[CELL_ID_ANNOTATION] } : {}),
    ...(annotations[HOST_ANNOTATION] ? { host: annotations[HOST_ANNOTATION] } : {}),
    ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}),
    ...(created && Number.isFinite(Date.parse(created)) ? { createdAt: created } : {}),
    ...(annotations[BOOT_ID_ANNOTATION] ? { bootId: annotations[BOOT_ID_ANNOTATION] } : {}),
    ...(annotations[PID_START_ANNOTATION] ? { pidStart: annotations[PID_START_ANNOTATION] } : {}),
  };
}
