import { existsSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { errorMessage } from '../common/errors.js';
import { bootId, processStart } from '../common/process-identity.js';
import {
  defaultKubeconfigPath,
  type LoadedKubeconfig,
  loadKubeconfig,
} from '../platforms/existing/kubeconfig.js';
import { k3dDeleteCluster, k3dListClusters } from '../platforms/k3d/k3d-cli.js';
import { type K3sContainers, runtimeK3sContainers } from '../platforms/k3s/k3s-container.js';
import { kindDeleteCluster, kindGetClusters } from '../platforms/kind/kind-cli.js';
import {
  type GcCandidate,
  type GcPolicy,
  type GcVerdict,
  judgeCluster,
  parseDurationMs,
} from '../platforms/kube/cluster-gc.js';
import {
  defaultClusterStateDir,
  listClusterMarkers,
  MARKER_PLATFORMS,
  type MarkerPlatformName,
  readClusterMarker,
  removeClusterMarker,
} from '../platforms/kube/cluster-marker.js';
import { isHarnessCluster } from '../platforms/kube/cluster-name.js';
import { apiErrorText, NamespaceClient } from '../platforms/kube/namespace-client.js';
import {
  describeNamespace,
  judgeNamespace,
  type NamespaceGcPolicy,
  namespaceCandidate,
} from '../platforms/kube/namespace-gc.js';
import { MANAGED_SELECTOR } from '../platforms/kube/namespace-labels.js';
import type { ToolOptions } from '../platforms/kube/tool-options.js';

export interface GcCommandDeps {
  /** Prints one line to stdout / stderr. */
  out: (line: string) => void;
  err: (line: string) => void;
  setExitCode: (code: number) => void;
  /** The marker folder the kind and k3d platforms write to. */
  stateDir: string;
  /** This host's name, as the platforms record it. */
  host: string;
  now: () => number;
  isProcessAlive: (pid: number) => boolean;
  /** This machine's boot id and a process's start time (harness/common/process-identity.ts). */
  bootId?: string;
  processStart?: (pid: number) => string | undefined;
  /** Added to the environment of kind and k3d (PATH); unset, they inherit it. */
  env?: Record<string, string>;
  /** The k3s platform's containers, through the container engine. */
  k3s: K3sContainers;
  /** The cluster whose namespaces are looked at without --kubeconfig: `$KUBECONFIG` or `~/.kube/config`. */
  kubeconfig?: string;
  /** Deadline of each API request to that cluster; default 15 s. */
  requestTimeoutMs?: number;
}

/** `process.kill(pid, 0)`: EPERM means it exists under another user. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function identity(): Pick<GcCommandDeps, 'bootId' | 'processStart'> {
  const boot = bootId();
  return { ...(boot ? { bootId: boot } : {}), processStart: (pid) => processStart(pid) };
}

/** The dependencies of a real `gc`: the user's marker folder, this host, this clock. */
export function processGcDeps(io: Pick<GcCommandDeps, 'out' | 'err' | 'setExitCode'>): GcCommandDeps {
  return {
    ...io,
    stateDir: defaultClusterStateDir(homedir()),
    host: hostname(),
    now: Date.now,
    isProcessAlive: processAlive,
    ...identity(),
    k3s: runtimeK3sContainers(),
    kubeconfig: defaultKubeconfigPath(process.env, homedir()),
  };
}

interface GcOpts {
  yes?: boolean;
  olderThan: number;
  keepUnknown?: boolean;
  platform?: MarkerPlatformName | 'existing';
  kubeconfig?: string;
  context?: string;
  includeOtherHosts?: boolean;
}

const DELETE_TIMEOUT_MS = 120_000;

function duration(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 24h, 90m, 1h30m or 2d');
  return ms;
}

interface Listed {
  name: string;
  labels: Record<string, string> | undefined;
  /** The k3s container's id. */
  id?: string;
}

async function listClusters(
  platform: MarkerPlatformName,
  tool: ToolOptions,
  k3s: K3sContainers,
): Promise<Listed[] | undefined> {
  if (platform === 'kind') return (await kindGetClusters(tool))?.map((name) => ({ name, labels: undefined }));
  if (platform === 'k3d') return (await k3dListClusters(tool))?.map(({ name, labels }) => ({ name, labels }));
  return (await k3s.list())?.map(({ id, name, labels }) => ({ id, name, labels }));
}

/** The `uh-` clusters of one platform with what they say about their owner; undefined: tool or runtime missing. */
async function listCandidates(
  platform: MarkerPlatformName,
  stateDir: string,
  tool: ToolOptions,
  k3s: K3sContainers,
): Promise<{ candidates: Array<GcCandidate & { id?: string }>; foreign: number } | undefined> {
  const listed = await listClusters(platform, tool, k3s);
  if (!listed) return undefined;
  const ours = listed.filter((c) => isHarnessCluster(c.name));
  const candidates = await Promise.all(
    ours.map(async (c) => {
      const marker = await readClusterMarker(stateDir, c.name);
      return {
        platform,
        name: c.name,
        marker,
        ...(c.labels ? { labels: c.labels } : {}),
        ...(c.id ? { id: c.id } : {}),
      };
    }),
  );
  return { candidates, foreign: listed.length - ours.length };
}

function describe(candidate: GcCandidate, verdict: GcVerdict): string {
  const o = verdict.owner;
  const owner = o ? ` (run ${o.runId}${o.cellId ? `, cell ${o.cellId}` : ''})` : '';
  return `${candidate.platform} cluster ${candidate.name}${owner}: ${verdict.reason}`;
}

async function deleteCluster(
  candidate: GcCandidate & { id?: string },
  tool: ToolOptions,
  k3s: K3sContainers,
): Promise<void> {
  const options = { ...tool, timeoutMs: DELETE_TIMEOUT_MS };
  if (candidate.platform === 'kind') await kindDeleteCluster(candidate.name, options);
  else if (candidate.platform === 'k3d') await k3dDeleteCluster(candidate.name, options);
  else await k3s.remove(candidate.id ?? candidate.name);
}

const NOT_LISTED: Record<MarkerPlatformName, string> = {
  kind: 'not installed',
  k3d: 'not installed',
  k3s: 'no container runtime',
};

interface Tally {
  doomed: number;
  deleted: number;
  failed: number;
}

/** The kind, k3d and k3s clusters, then the markers of clusters that are gone. */
async function gcClusters(opts: GcOpts, deps: GcCommandDeps, tally: Tally): Promise<void> {
  const policy: GcPolicy = {
    now: deps.now(),
    host: deps.host,
    olderThanMs: opts.olderThan,
    keepUnknown: opts.keepUnknown ?? false,
    isProcessAlive: deps.isProcessAlive,
  };
  const tool: ToolOptions = deps.env ? { env: deps.env } : {};
  const seen = new Set<string>();
  const listedPlatforms = new Set<MarkerPlatformName>();
  const platforms = MARKER_PLATFORMS.filter((p) => opts.platform === undefined || opts.platform === p);
  for (const platform of platforms) {
    let listed: Awaited<ReturnType<typeof listCandidates>>;
    try {
      listed = await listCandidates(platform, deps.stateDir, tool, deps.k3s);
    } catch (err) {
      deps.err(`${platform}: could not list clusters: ${errorMessage(err)}`);
      tally.failed += 1;
      continue;
    }
    if (!listed) {
      deps.out(`${platform}: ${NOT_LISTED[platform]}, skipped`);
      continue;
    }
    listedPlatforms.add(platform);
    for (const candidate of listed.candidates) {
      seen.add(candidate.name);
      const verdict = judgeCluster(candidate, policy);
      if (verdict.action === 'keep') {
        deps.out(`keep ${describe(candidate, verdict)}`);
        continue;
      }
      tally.doomed += 1;
      if (!opts.yes) {
        deps.out(`would delete ${describe(candidate, verdict)}`);
        continue;
      }
      deps.out(`deleting ${describe(candidate, verdict)}`);
      try {
        await deleteCluster(candidate, tool, deps.k3s);
        await removeClusterMarker(deps.stateDir, candidate.name);
        tally.deleted += 1;
        deps.out(`deleted ${platform} cluster ${candidate.name}`);
      } catch (err) {
        tally.failed += 1;
        deps.err(`could not delete ${platform} cluster ${candidate.name}: ${errorMessage(err)}`);
      }
    }
    if (listed.foreign > 0) {
      deps.out(`${platform}: ${listed.foreign} other cluster(s) not made by upgrade-harness, left alone`);
    }
  }
  // Markers of clusters that are gone: forgotten once their run is dead (a live run may be creating one).
  for (const marker of await listClusterMarkers(deps.stateDir)) {
    if (seen.has(marker.name) || !listedPlatforms.has(marker.platform)) continue;
    const verdict = judgeCluster({ platform: marker.platform, name: marker.name, marker }, policy);
    if (verdict.action === 'keep') continue;
    if (opts.yes) await removeClusterMarker(deps.stateDir, marker.name);
    deps.out(
      `${opts.yes ? 'forgot' : 'would forget'} the marker of ${marker.name}: the cluster no longer exists`,
    );
  }
}

/** The cluster whose namespaces are looked at; undefined (said in one line) when there is none to reach. */
function namespaceCluster(opts: GcOpts, deps: GcCommandDeps, tally: Tally): LoadedKubeconfig | undefined {
  // Named on the command line: a problem with it is a failure. The default may simply not exist.
  const explicit = opts.kubeconfig !== undefined || opts.context !== undefined;
  const path = opts.kubeconfig ?? deps.kubeconfig;
  if (!path || (!explicit && !existsSync(path))) {
    deps.out(`namespaces: no kubeconfig${path ? ` at ${path}` : ''} (--kubeconfig), skipped`);
    return undefined;
  }
  try {
    return loadKubeconfig(path, opts.context, { kubeconfig: '--kubeconfig', context: '--context' });
  } catch (err) {
    if (explicit) {
      tally.failed += 1;
      deps.err(`namespaces: ${errorMessage(err)}`);
    } else {
      deps.out(`namespaces: ${errorMessage(err)}, skipped`);
    }
    return undefined;
  }
}

/** The namespaces of existing-cluster cells (label app.kubernetes.io/managed-by=upgrade-harness). Returns whether it got to list them. */
async function gcNamespaces(opts: GcOpts, deps: GcCommandDeps, tally: Tally): Promise<boolean> {
  const cluster = namespaceCluster(opts, deps, tally);
  if (!cluster) return false;
  const where = `context ${cluster.context} (${cluster.serverHost})`;
  const client = new NamespaceClient(cluster.kc, { requestTimeoutMs: deps.requestTimeoutMs ?? 15_000 });
  let namespaces: Awaited<ReturnType<NamespaceClient['list']>>;
  try {
    namespaces = await client.list(MANAGED_SELECTOR);
  } catch (err) {
    const line = `namespaces: the cluster of ${where} is not reachable: ${apiErrorText(err)}, skipped`;
    if (opts.kubeconfig !== undefined || opts.context !== undefined) {
      tally.failed += 1;
      deps.err(line);
    } else {
      deps.out(line);
    }
    return false;
  }
  const policy: NamespaceGcPolicy = {
    now: deps.now(),
    host: deps.host,
    includeOtherHosts: opts.includeOtherHosts ?? false,
    isProcessAlive: deps.isProcessAlive,
    ...(deps.bootId ? { bootId: deps.bootId } : {}),
    ...(deps.processStart ? { processStart: deps.processStart } : {}),
  };
  deps.out(`namespaces in ${where}: ${namespaces.length} made by upgrade-harness`);
  const candidates = namespaces.map(namespaceCandidate).sort((a, b) => a.name.localeCompare(b.name));
  for (const candidate of candidates) {
    const verdict = judgeNamespace(candidate, policy);
    const what = `${describeNamespace(candidate)}: ${verdict.reason}`;
    if (verdict.action !== 'delete') {
      deps.out(`${verdict.action} ${what}`);
      continue;
    }
    tally.doomed += 1;
    if (!opts.yes) {
      deps.out(`would delete ${what}`);
      continue;
    }
    deps.out(`deleting ${what}`);
    try {
      await client.delete(candidate.name);
      tally.deleted += 1;
      deps.out(`deleted namespace ${candidate.name}`);
    } catch (err) {
      tally.failed += 1;
      deps.err(`could not delete namespace ${candidate.name}: ${apiErrorText(err)}`);
    }
  }
  return true;
}

/** Lists, judges and (with --yes) deletes; returns the exit code. */
export async function gcCommand(opts: GcOpts, deps: GcCommandDeps): Promise<number> {
  const clusters: Tally = { doomed: 0, deleted: 0, failed: 0 };
  const namespaces: Tally = { doomed: 0, deleted: 0, failed: 0 };
  if (opts.platform !== 'existing') await gcClusters(opts, deps, clusters);
  const listedNamespaces =
    opts.platform === undefined || opts.platform === 'existing'
      ? await gcNamespaces(opts, deps, namespaces)
      : false;
  const count = (c: number, n: number) =>
    listedNamespaces ? `${c} cluster(s) and ${n} namespace(s)` : `${c} cluster(s)`;
  const failed = clusters.failed + namespaces.failed;
  if (!opts.yes) {
    deps.out(
      clusters.doomed + namespaces.doomed === 0
        ? 'nothing to delete'
        : `dry run: ${count(clusters.doomed, namespaces.doomed)} would be deleted; run again with --yes to delete them`,
    );
  } else {
    deps.out(
      `${count(clusters.deleted, namespaces.deleted)} deleted${failed > 0 ? `, ${failed} failure(s)` : ''}`,
    );
  }
  return failed > 0 ? 1 : 0;
}

/**
 * `upgrade-harness gc`: deletes the kind, k3d and k3s clusters (`uh-` names) and the namespaces
 * on an existing cluster that runs left behind. Dry run unless --yes. Exit code 0, or 1 when
 * something could not be listed or deleted.
 */
export function registerGcCommand(program: Command, deps: GcCommandDeps): Command {
  return program
    .command('gc')
    .description(
      'find the kind, k3d and k3s clusters and the existing-cluster namespaces that runs no longer alive left behind, and delete them (dry run unless --yes)',
    )
    .option('--yes', 'delete them (default: only print what would be deleted)')
    .option(
      '--older-than <duration>',
      'a cluster created longer ago than this is dead whoever owns it (e.g. 24h, 90m, 2d)',
      duration,
      24 * 3_600_000,
    )
    .option('--keep-unknown', 'keep uh- clusters without a marker (default: they are deleted)')
    .addOption(
      new Option('--platform <name>', 'only this platform (existing: only namespaces)').choices([
        ...MARKER_PLATFORMS,
        'existing',
      ]),
    )
    .option(
      '--kubeconfig <file>',
      `the existing cluster whose namespaces are looked at (default: $KUBECONFIG or ~/.kube/config${deps.kubeconfig ? `, here ${deps.kubeconfig}` : ''})`,
    )
    .option('--context <name>', 'its context (default: its current-context)')
    .option(
      '--include-other-hosts',
      'also delete namespaces made on other hosts or with no owner recorded (their run may be alive there)',
    )
    .addHelpText(
      'after',
      `\nOnly clusters named uh-… are considered; others are never touched. Each run records who owns its
clusters in ${deps.stateDir}/<name>.json (and, on k3d and k3s, in container labels). A cluster is dead
when its run's process on this host is gone, when it is older than --older-than, or when nothing
records its owner (unless --keep-unknown).

On an existing cluster only namespaces labelled app.kubernetes.io/managed-by=upgrade-harness are
considered. One is dead when its upgrade-harness.io/host annotation is this host and the process of
its upgrade-harness.io/pid is gone; one made on another host is listed as unknown and deleted only
with --include-other-hosts. Without a reachable cluster this part is skipped (said in one line).

Exit code 0, or 1 when something could not be listed or deleted.

Examples:
  upgrade-harness gc
  upgrade-harness gc --yes --older-than 6h
  upgrade-harness gc --kubeconfig ~/.kube/staging --context ci --yes`,
    )
    .action(async (opts: GcOpts) => {
      deps.setExitCode(await gcCommand(opts, deps));
    });
}
