import { createHash } from 'node:crypto';

/** Every cluster the harness creates is named with this prefix; `gc` never touches any other. */
export const CLUSTER_PREFIX = 'uh-';

/** kind and k3d prefix their container names, and hostnames stop at 63 characters. */
export const MAX_CLUSTER_NAME_LENGTH = 32;

const RUN_PART_LENGTH = 12;
const HASH_LENGTH = 10;

/**
 * `uh-<short run id>-<short hash>`: DNS-safe, at most 32 characters, the same for the same run
 * and cell. The run part is for people (the end of the run id: day, time, random suffix); the
 * hash of run id and cell id keeps names of different runs apart when their ends agree.
 */
export function clusterName(runId: string, cellId: string): string {
  const runPart = runId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(-RUN_PART_LENGTH);
  const hash = createHash('sha256').update(`${runId}\n${cellId}`).digest('hex').slice(0, HASH_LENGTH);
  return runPart ? `${CLUSTER_PREFIX}${runPart}-${hash}` : `${CLUSTER_PREFIX}${hash}`;
}

export function isHarnessCluster(name: string): boolean {
  return name.startsWith(CLUSTER_PREFIX);
}
