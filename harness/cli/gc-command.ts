import { homedir, hostname } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { errorMessage } from '../common/errors.js';
import { k3dDeleteCluster, k3dListClusters } from '../platforms/k3d/k3d-cli.js';
import { kindDeleteCluster, kindGetClusters } from '../platforms/kind/kind-cli.js';
import {
  type GcCandidate,
  type GcPolicy,
  type GcVerdict,
  judgeCluster,
  parseDurationMs,
} from '../platforms/kube/cluster-gc.js';
import {
  type ClusterPlatformName,
  defaultClusterStateDir,
  listClusterMarkers,
  readClusterMarker,
  removeClusterMarker,
} from '../platforms/kube/cluster-marker.js';
import { isHarnessCluster } from '../platforms/kube/cluster-name.js';
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
  /** Added to the environment of kind and k3d (PATH); unset, they inherit it. */
  env?: Record<string, string>;
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

/** The dependencies of a real `gc`: the user's marker folder, this host, this clock. */
export function processGcDeps(io: Pick<GcCommandDeps, 'out' | 'err' | 'setExitCode'>): GcCommandDeps {
  return {
    ...io,
    stateDir: defaultClusterStateDir(homedir()),
    host: hostname(),
    now: Date.now,
    isProcessAlive: processAlive,
  };
}

interface GcOpts {
  yes?: boolean;
  olderThan: number;
  keepUnknown?: boolean;
  platform?: ClusterPlatformName;
}

const PLATFORMS: readonly ClusterPlatformName[] = ['kind', 'k3d'];
const DELETE_TIMEOUT_MS = 120_000;

function duration(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 24h, 90m, 1h30m or 2d');
  return ms;
}

/** The `uh-` clusters of one tool with what they say about their owner; undefined: tool missing. */
async function listCandidates(
  platform: ClusterPlatformName,
  stateDir: string,
  tool: ToolOptions,
): Promise<{ candidates: GcCandidate[]; foreign: number } | undefined> {
  const listed =
    platform === 'kind'
      ? (await kindGetClusters(tool))?.map((name) => ({ name, labels: undefined }))
      : (await k3dListClusters(tool))?.map(({ name, labels }) => ({ name, labels }));
  if (!listed) return undefined;
  const ours = listed.filter((c) => isHarnessCluster(c.name));
  const candidates = await Promise.all(
    ours.map(async (c) => {
      const marker = await readClusterMarker(stateDir, c.name);
      return { platform, name: c.name, marker, ...(c.labels ? { labels: c.labels } : {}) };
    }),
  );
  return { candidates, foreign: listed.length - ours.length };
}

function describe(candidate: GcCandidate, verdict: GcVerdict): string {
  const o = verdict.owner;
  const owner = o ? ` (run ${o.runId}${o.cellId ? `, cell ${o.cellId}` : ''})` : '';
  return `${candidate.platform} cluster ${candidate.name}${owner}: ${verdict.reason}`;
}

async function deleteCluster(platform: ClusterPlatformName, name: string, tool: ToolOptions): Promise<void> {
  const options = { ...tool, timeoutMs: DELETE_TIMEOUT_MS };
  if (platform === 'kind') await kindDeleteCluster(name, options);
  else await k3dDeleteCluster(name, options);
}

/** Lists, judges and (with --yes) deletes; returns the exit code. */
export async function gcCommand(opts: GcOpts, deps: GcCommandDeps): Promise<number> {
  const policy: GcPolicy = {
    now: deps.now(),
    host: deps.host,
    olderThanMs: opts.olderThan,
    keepUnknown: opts.keepUnknown ?? false,
    isProcessAlive: deps.isProcessAlive,
  };
  const tool: ToolOptions = deps.env ? { env: deps.env } : {};
  let failed = 0;
  let doomed = 0;
  let deleted = 0;
  const seen = new Set<string>();
  const listedPlatforms = new Set<ClusterPlatformName>();
  for (const platform of opts.platform ? [opts.platform] : PLATFORMS) {
    let listed: Awaited<ReturnType<typeof listCandidates>>;
    try {
      listed = await listCandidates(platform, deps.stateDir, tool);
    } catch (err) {
      deps.err(`${platform}: could not list clusters: ${errorMessage(err)}`);
      failed += 1;
      continue;
    }
    if (!listed) {
      deps.out(`${platform}: not installed, skipped`);
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
      doomed += 1;
      if (!opts.yes) {
        deps.out(`would delete ${describe(candidate, verdict)}`);
        continue;
      }
      deps.out(`deleting ${describe(candidate, verdict)}`);
      try {
        await deleteCluster(platform, candidate.name, tool);
        await removeClusterMarker(deps.stateDir, candidate.name);
        deleted += 1;
        deps.out(`deleted ${platform} cluster ${candidate.name}`);
      } catch (err) {
        failed += 1;
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
  if (!opts.yes) {
    deps.out(
      doomed === 0
        ? 'nothing to delete'
        : `dry run: ${doomed} cluster(s) would be deleted; run again with --yes to delete them`,
    );
  } else {
    deps.out(`${deleted} cluster(s) deleted${failed > 0 ? `, ${failed} failure(s)` : ''}`);
  }
  return failed > 0 ? 1 : 0;
}

/**
 * `upgrade-harness gc`: deletes the kind and k3d clusters (`uh-` names) that runs left behind.
 * Dry run unless --yes. Exit code 0, or 1 when a cluster could not be listed or deleted.
 */
export function registerGcCommand(program: Command, deps: GcCommandDeps): Command {
  return program
    .command('gc')
    .description(
      'find the kind and k3d clusters that runs no longer alive left behind, and delete them (dry run unless --yes)',
    )
    .option('--yes', 'delete them (default: only print what would be deleted)')
    .option(
      '--older-than <duration>',
      'a cluster created longer ago than this is dead whoever owns it (e.g. 24h, 90m, 2d)',
      duration,
      24 * 3_600_000,
    )
    .option('--keep-unknown', 'keep uh- clusters without a marker (default: they are deleted)')
    .addOption(new Option('--platform <name>', 'only this platform').choices([...PLATFORMS]))
    .addHelpText(
      'after',
      `\nOnly clusters named uh-… are considered; others are never touched. Each run records who owns its
clusters in ${deps.stateDir}/<name>.json (and, on k3d, in container labels). A cluster is dead when
its run's process on this host is gone, when it is older than --older-than, or when nothing records
its owner (unless --keep-unknown). Exit code 0, or 1 when a cluster could not be listed or deleted.

Examples:
  upgrade-harness gc
  upgrade-harness gc --yes --older-than 6h`,
    )
    .action(async (opts: GcOpts) => {
      deps.setExitCode(await gcCommand(opts, deps));
    });
}
