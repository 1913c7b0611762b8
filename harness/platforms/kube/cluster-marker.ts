import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isHarnessCluster } from './cluster-name.js';

/** The platforms that make a cluster with a CLI (kind, k3d). */
export type ClusterPlatformName = 'kind' | 'k3d';
/** Every platform that makes a cluster per cell and records it in a marker (k3s: a testcontainers container). */
export type MarkerPlatformName = ClusterPlatformName | 'k3s';
/** For loops and option choices. */
export const MARKER_PLATFORMS: readonly MarkerPlatformName[] = ['kind', 'k3d', 'k3s'];

/**
 * Who made a cluster, written before the cluster is created: `gc` tells a live run's cluster from
 * one a crashed run left behind. Holds no secret (no kubeconfig, no token).
 */
export interface ClusterMarker {
  version: 1;
  name: string;
  platform: MarkerPlatformName;
  runId: string;
  cellId: string;
  /** ISO 8601. */
  createdAt: string;
  /** The harness process that owns the cluster, and the host it runs on. */
  pid: number;
  host: string;
}

/** The folder markers live in, under the user's cache: `~/.cache/upgrade-harness/clusters`. */
export function defaultClusterStateDir(homeDir: string): string {
  return join(homeDir, '.cache', 'upgrade-harness', 'clusters');
}

function markerFile(stateDir: string, name: string): string {
  // Names come from `kind get clusters` too: only ours, and never a path.
  if (!isHarnessCluster(name) || !/^[a-z0-9.-]+$/.test(name)) {
    throw new Error(`not a harness cluster name: ${JSON.stringify(name)}`);
  }
  return join(stateDir, `${name}.json`);
}

export async function writeClusterMarker(stateDir: string, marker: ClusterMarker): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(markerFile(stateDir, marker.name), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
}

function isMarker(value: unknown, name: string): value is ClusterMarker {
  if (value === null || typeof value !== 'object') return false;
  const m = value as Record<string, unknown>;
  return (
    m.name === name &&
    typeof m.platform === 'string' &&
    (MARKER_PLATFORMS as readonly string[]).includes(m.platform) &&
    typeof m.runId === 'string' &&
    typeof m.cellId === 'string' &&
    typeof m.createdAt === 'string' &&
    Number.isFinite(Date.parse(m.createdAt)) &&
    Number.isInteger(m.pid) &&
    typeof m.host === 'string'
  );
}

/** The marker of `name`; undefined when there is none or it cannot be read as one. */
export async function readClusterMarker(stateDir: string, name: string): Promise<ClusterMarker | undefined> {
  let text: string;
  try {
    text = await readFile(markerFile(stateDir, name), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isMarker(value, name) ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function removeClusterMarker(stateDir: string, name: string): Promise<void> {
  await rm(markerFile(stateDir, name), { force: true });
}

/** Every readable marker in `stateDir` (none when the folder does not exist). */
export async function listClusterMarkers(stateDir: string): Promise<ClusterMarker[]> {
  let entries: string[];
  try {
    entries = await readdir(stateDir);
  } catch {
    return [];
  }
  const names = entries
    .filter((e) => e.endsWith('.json'))
    .map((e) => e.slice(0, -'.json'.length))
    .filter((n) => isHarnessCluster(n) && /^[a-z0-9.-]+$/.test(n));
  const markers = await Promise.all(names.sort().map((n) => readClusterMarker(stateDir, n)));
  return markers.filter((m): m is ClusterMarker => m !== undefined);
}
