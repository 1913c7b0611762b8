import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
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
  kindCreateArgv,
  kindCreateCluster,
  kindDeleteArgv,
  kindDeleteCluster,
  kindExportLogs,
  kindLoadArgv,
  kindLoadImage,
} from './kind-cli.js';

/** A kind cluster made for one cell. */
export class StartedKindPlatform extends StartedKubePlatform {
  readonly name = 'kind' as const;

  get kubeContext(): string {
    return `kind-${this.clusterName}`;
  }

  protected async deleteCluster(timeoutMs: number): Promise<void> {
    // Our kubeconfig, so kind does not go looking for contexts in the user's ~/.kube/config.
    await kindDeleteCluster(this.clusterName, {
      ...this.toolOptions(undefined, timeoutMs),
      kubeconfigPath: this.kubeconfigPath,
    });
  }

  protected async exportLogs(dir: string, timeoutMs: number): Promise<void> {
    const target = join(dir, 'kind-logs');
    await mkdir(target, { recursive: true });
    await kindExportLogs(this.clusterName, target, this.toolOptions(undefined, timeoutMs));
  }
}

const kindDriver = (resolved: ResolvedKubePlatformOptions): KubeClusterDriver<StartedKindPlatform> => ({
  platform: 'kind',
  started: (init) => new StartedKindPlatform(init),
  async create(started, signal) {
    await kindCreateCluster(
      {
        name: started.clusterName,
        configFile: started.configFile,
        nodeImage: started.nodeImage,
        kubeconfigPath: started.kubeconfigPath,
      },
      started.toolOptions(signal, resolved.createTimeoutMs),
    );
  },
  async preload(started, image, signal) {
    await kindLoadImage(started.clusterName, image, started.toolOptions(signal, resolved.createTimeoutMs));
  },
});

/**
 * `kind create cluster` per cell with the scenario's kind config and the node image pinned for the
 * cell's `kubernetesVersion` axis; `kind delete cluster` at teardown.
 */
export class KindPlatform implements Platform {
  readonly name = 'kind' as const;
  readonly #options: ResolvedKubePlatformOptions;

  constructor(options: KubePlatformOptions = {}) {
    this.#options = resolveKubePlatformOptions(options, homedir);
  }

  create(options: PlatformCreateOptions, ctx: RunContext): Promise<StartedKindPlatform> {
    return createKubeCluster(kindDriver(this.#options), options, ctx, this.#options);
  }

  plan(options: PlatformCreateOptions, runId: string): PlannedSteps {
    const s = plannedClusterSettings('kind', options);
    const name = clusterName(runId, options.cell.id);
    const kubeconfigPath = '<cell work dir>/kubeconfig';
    return {
      steps: [
        {
          phase: 'provision',
          argv: kindCreateArgv({ name, configFile: s.configFile, nodeImage: s.nodeImage, kubeconfigPath }),
        },
        ...s.preloadImages.map((image) => ({ phase: 'provision', argv: kindLoadArgv(name, image) })),
        { phase: 'teardown', argv: kindDeleteArgv(name, kubeconfigPath) },
      ],
    };
  }
}
