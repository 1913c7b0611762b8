import { runCommand } from '../../common/exec.js';
import { isNotInstalled, toolFailure } from '../kube/tool-error.js';
import { QUICK_COMMAND_TIMEOUT_MS, type ToolOptions } from '../kube/tool-options.js';

/** kind's `--wait`: how long it waits for the control plane to be Ready. */
export const KIND_WAIT = '120s';

export interface KindCreateArgs {
  name: string;
  configFile: string;
  nodeImage: string;
  kubeconfigPath: string;
}

/** `kind create cluster`, writing the kubeconfig only to `kubeconfigPath` (never ~/.kube/config). */
export function kindCreateArgv(args: KindCreateArgs): string[] {
  return [
    'kind',
    'create',
    'cluster',
    '--name',
    args.name,
    '--config',
    args.configFile,
    '--image',
    args.nodeImage,
    '--wait',
    KIND_WAIT,
    '--kubeconfig',
    args.kubeconfigPath,
  ];
}

export async function kindCreateCluster(args: KindCreateArgs, options: ToolOptions): Promise<void> {
  try {
    await runCommand(kindCreateArgv(args), options);
  } catch (err) {
    throw toolFailure('kind', `kind create cluster ${args.name}`, err);
  }
}

export function kindDeleteArgv(name: string, kubeconfigPath?: string): string[] {
  const argv = ['kind', 'delete', 'cluster', '--name', name];
  if (kubeconfigPath) argv.push('--kubeconfig', kubeconfigPath);
  return argv;
}

export function kindLoadArgv(name: string, image: string): string[] {
  return ['kind', 'load', 'docker-image', image, '--name', name];
}

/** Succeeds when the cluster does not exist (kind's delete is idempotent). */
export async function kindDeleteCluster(
  name: string,
  options: ToolOptions & { kubeconfigPath?: string },
): Promise<void> {
  const { kubeconfigPath, ...run } = options;
  try {
    await runCommand(kindDeleteArgv(name, kubeconfigPath), run);
  } catch (err) {
    throw toolFailure('kind', `kind delete cluster ${name}`, err);
  }
}

export async function kindLoadImage(name: string, image: string, options: ToolOptions): Promise<void> {
  try {
    await runCommand(kindLoadArgv(name, image), options);
  } catch (err) {
    throw toolFailure('kind', `kind load docker-image ${image} into ${name}`, err);
  }
}

export async function kindExportLogs(name: string, dir: string, options: ToolOptions): Promise<void> {
  try {
    await runCommand(['kind', 'export', 'logs', dir, '--name', name], options);
  } catch (err) {
    throw toolFailure('kind', `kind export logs ${name}`, err);
  }
}

/**
 * Names of every kind cluster (`kind get clusters`; "No kind clusters found." goes to stderr).
 * Undefined when kind is not installed.
 */
export async function kindGetClusters(options: ToolOptions): Promise<string[] | undefined> {
  try {
    const { stdout } = await runCommand(['kind', 'get', 'clusters'], {
      timeoutMs: QUICK_COMMAND_TIMEOUT_MS,
      ...options,
    });
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  } catch (err) {
    if (isNotInstalled(err)) return undefined;
    throw toolFailure('kind', 'kind get clusters', err);
  }
}
