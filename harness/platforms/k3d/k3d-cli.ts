import { writeFile } from 'node:fs/promises';
import { InfraError } from '../../common/errors.js';
import { runCommand } from '../../common/exec.js';
import { isNotInstalled, toolFailure } from '../kube/tool-error.js';
import { QUICK_COMMAND_TIMEOUT_MS, type ToolOptions } from '../kube/tool-options.js';

/** k3d's `--timeout` for `--wait`: past it, k3d rolls the cluster back. */
export const K3D_TIMEOUT = '120s';

/** Docker labels k3d puts on the first server's container: who made the cluster (read by `gc`). */
export const K3D_LABEL_PREFIX = 'upgrade-harness.';

export interface K3dCreateArgs {
  name: string;
  configFile: string;
  nodeImage: string;
  /** Runtime (Docker) labels, key without the prefix → value. */
  labels: Record<string, string>;
}

/** k3d splits flag values at `,` and node filters at `@`: keep label values to plain characters. */
export function labelValue(value: string): string {
  return value.replace(/[^A-Za-z0-9._:-]/g, '_');
}

/** `k3d cluster create`, leaving the user's kubeconfig alone. */
export function k3dCreateArgv(args: K3dCreateArgs): string[] {
  const argv = [
    'k3d',
    'cluster',
    'create',
    args.name,
    '--config',
    args.configFile,
    '--image',
    args.nodeImage,
    '--wait',
    '--timeout',
    K3D_TIMEOUT,
    '--kubeconfig-update-default=false',
    '--kubeconfig-switch-context=false',
  ];
  for (const [key, value] of Object.entries(args.labels)) {
    argv.push('--runtime-label', `${K3D_LABEL_PREFIX}${key}=${labelValue(value)}@server:0`);
  }
  return argv;
}

export async function k3dCreateCluster(args: K3dCreateArgs, options: ToolOptions): Promise<void> {
  try {
    await runCommand(k3dCreateArgv(args), options);
  } catch (err) {
    throw toolFailure('k3d', `k3d cluster create ${args.name}`, err);
  }
}

/** `k3d kubeconfig get` into `path` (0600). Its output is never logged: it holds the client key. */
export async function k3dWriteKubeconfig(name: string, path: string, options: ToolOptions): Promise<void> {
  const { logFile: _never, ...run } = options;
  let kubeconfig: string;
  try {
    kubeconfig = (await runCommand(k3dKubeconfigArgv(name), run)).stdout;
  } catch (err) {
    throw toolFailure('k3d', `k3d kubeconfig get ${name}`, err);
  }
  if (!/\bclusters:/.test(kubeconfig)) {
    throw new InfraError(`k3d kubeconfig get ${name} did not print a kubeconfig`);
  }
  await writeFile(path, kubeconfig.endsWith('\n') ? kubeconfig : `${kubeconfig}\n`, { mode: 0o600 });
}

export function k3dKubeconfigArgv(name: string): string[] {
  return ['k3d', 'kubeconfig', 'get', name];
}

export function k3dDeleteArgv(name: string): string[] {
  return ['k3d', 'cluster', 'delete', name];
}

export function k3dImportArgv(name: string, image: string): string[] {
  return ['k3d', 'image', 'import', image, '--cluster', name];
}

/** Succeeds when the cluster does not exist (k3d says "No nodes found … nothing to delete"). */
export async function k3dDeleteCluster(name: string, options: ToolOptions): Promise<void> {
  try {
    await runCommand(k3dDeleteArgv(name), options);
  } catch (err) {
    throw toolFailure('k3d', `k3d cluster delete ${name}`, err);
  }
}

export async function k3dImportImage(name: string, image: string, options: ToolOptions): Promise<void> {
  try {
    await runCommand(k3dImportArgv(name, image), options);
  } catch (err) {
    throw toolFailure('k3d', `k3d image import ${image} into ${name}`, err);
  }
}

export interface K3dNodeSummary {
  name: string;
  role: string;
  image: string | undefined;
  running: boolean | undefined;
  status: string | undefined;
}

export interface K3dClusterSummary {
  name: string;
  /** Runtime labels of the cluster's nodes with our prefix, prefix removed. */
  labels: Record<string, string>;
  nodes: K3dNodeSummary[];
}

interface K3dListedNode {
  name?: unknown;
  role?: unknown;
  image?: unknown;
  runtimeLabels?: unknown;
  State?: { Running?: unknown; Status?: unknown };
}

function strings(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/**
 * The clusters of `k3d cluster list -o json`, reduced to names, our labels and node states: the
 * raw output holds the cluster token, so it is neither logged nor kept.
 */
export function parseK3dClusterList(stdout: string): K3dClusterSummary[] {
  const parsed: unknown = JSON.parse(stdout.trim() === '' ? '[]' : stdout);
  if (!Array.isArray(parsed)) throw new InfraError('k3d cluster list -o json did not print a list');
  const clusters: K3dClusterSummary[] = [];
  for (const item of parsed as Array<{ name?: unknown; nodes?: unknown }>) {
    if (typeof item?.name !== 'string') continue;
    const nodes = Array.isArray(item.nodes) ? (item.nodes as K3dListedNode[]) : [];
    const labels: Record<string, string> = {};
    for (const node of nodes) {
      for (const [key, value] of Object.entries(strings(node.runtimeLabels))) {
        if (key.startsWith(K3D_LABEL_PREFIX)) labels[key.slice(K3D_LABEL_PREFIX.length)] ??= value;
      }
    }
    clusters.push({
      name: item.name,
      labels,
      nodes: nodes.map((n) => ({
        name: typeof n.name === 'string' ? n.name : '?',
        role: typeof n.role === 'string' ? n.role : '?',
        image: typeof n.image === 'string' ? n.image : undefined,
        running: typeof n.State?.Running === 'boolean' ? n.State.Running : undefined,
        status: typeof n.State?.Status === 'string' ? n.State.Status : undefined,
      })),
    });
  }
  return clusters;
}

/** Every k3d cluster, or only `name`. Undefined when k3d is not installed. */
export async function k3dListClusters(
  options: ToolOptions,
  name?: string,
): Promise<K3dClusterSummary[] | undefined> {
  const { logFile: _never, ...run } = options;
  const argv = ['k3d', 'cluster', 'list', ...(name ? [name] : []), '-o', 'json'];
  let stdout: string;
  try {
    stdout = (await runCommand(argv, { timeoutMs: QUICK_COMMAND_TIMEOUT_MS, ...run })).stdout;
  } catch (err) {
    if (isNotInstalled(err)) return undefined;
    throw toolFailure('k3d', argv.join(' '), err);
  }
  try {
    return parseK3dClusterList(stdout);
  } catch (err) {
    throw toolFailure('k3d', argv.join(' '), err);
  }
}
