import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { InfraError } from '../../common/errors.js';
import type { PlannedSteps } from '../../common/planned-steps.js';
import { clusterName } from '../kube/cluster-name.js';
import { plannedClusterSettings } from '../kube/cluster-settings.js';
import {
  createKubeCluster,
  type KubeClusterDriver,
  type KubePlatformOptions,
  type ResolvedKubePlatformOptions,
  resolveKubePlatformOptions,
  StartedKubePlatform,
} from '../kube/started-cluster.js';
import type { Platform, PlatformCreateOptions } from '../platform.js';
import {
  k3dCreateArgv,
  k3dCreateCluster,
  k3dDeleteArgv,
  k3dDeleteCluster,
  k3dImportArgv,
  k3dImportImage,
  k3dKubeconfigArgv,
  k3dListClusters,
  k3dWriteKubeconfig,
} from './k3d-cli.js';

/** A k3d cluster made for one cell. */
export class StartedK3dPlatform extends StartedKubePlatform {
  readonly name = 'k3d' as const;

  get kubeContext(): string {
    return `k3d-${this.clusterName}`;
  }

  protected async deleteCluster(timeoutMs: number): Promise<void> {
    await k3dDeleteCluster(this.clusterName, this.toolOptions(undefined, timeoutMs));
  }

  /** k3d has no log export: the nodes' states (the containers' logs are a `docker logs` away). */
  protected async exportLogs(dir: string, timeoutMs: number): Promise<void> {
    const clusters = await k3dListClusters(this.toolOptions(undefined, timeoutMs), this.clusterName);
    if (!clusters) throw new InfraError('k3d is not installed or not on PATH');
    const nodes = clusters.find((c) => c.name === this.clusterName)?.nodes ?? [];
    await writeFile(join(dir, 'k3d-nodes.json'), `${JSON.stringify(nodes, null, 2)}\n`);
  }
}

const k3dDriver = (resolved: ResolvedKubePlatformOptions): KubeClusterDriver<StartedK3dPlatform> => ({
  platform: 'k3d',
  started: (init) => new StartedK3dPlatform(init),
  async create(started, signal) {
    await k3dCreateCluster(
      {
        name: started.clusterName,
        configFile: started.configFile,
        nodeImage: started.nodeImage,
        // The marker's facts again, on the containers: gc can still judge a cluster whose marker is lost.
        labels: {
          run: started.runId,
          cell: started.cellId,
          host: resolved.host,
          pid: String(resolved.pid),
          created: started.createdAt,
        },
      },
      started.toolOptions(signal, resolved.createTimeoutMs),
    );
    await k3dWriteKubeconfig(
      started.clusterName,
      started.kubeconfigPath,
      started.toolOptions(signal, 60_000),
    );
  },
  async preload(started, image, signal) {
    await k3dImportImage(started.clusterName, image, started.toolOptions(signal, resolved.createTimeoutMs));
  },
});

/**
 * `k3d cluster create` per cell with the scenario's k3d config and the k3s image pinned for the
 * cell's `kubernetesVersion` axis; `k3d cluster delete` at teardown.
 */
export class K3dPlatform implements Platform {
  readonly name = 'k3d' as const;
  readonly #options: ResolvedKubePlatformOptions;

  constructor(options: KubePlatformOptions = {}) {
    this.#options = resolveKubePlatformOptions(options, homedir);
  }

  create(options: PlatformCreateOptions, ctx: RunContext): Promise<StartedK3dPlatform> {
    return createKubeCluster(k3dDriver(this.#options), options, ctx, this.#options);
  }

  plan(options: PlatformCreateOptions, runId: string): PlannedSteps {
    const s = plannedClusterSettings('k3d', options);
    const name = clusterName(runId, options.cell.id);
    const labels = {
      run: runId,
      cell: options.cell.id,
      host: this.#options.host,
      pid: '<pid>',
      created: '<time>',
    };
    return {
      steps: [
        {
          phase: 'provision',
          argv: k3dCreateArgv({ name, configFile: s.configFile, nodeImage: s.nodeImage, labels }),
        },
        {
          phase: 'provision',
          argv: k3dKubeconfigArgv(name),
          note: 'written to <cell work dir>/kubeconfig',
        },
        ...s.preloadImages.map((image) => ({ phase: 'provision', argv: k3dImportArgv(name, image) })),
        { phase: 'teardown', argv: k3dDeleteArgv(name) },
      ],
    };
  }
}
