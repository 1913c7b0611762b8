import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { StartedK3sContainer } from '@testcontainers/k3s';
import { sleep } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { rejectAfter, untilAborted } from '../../common/deadline.js';
import { UsageError } from '../../common/errors.js';
import type { PlannedSteps } from '../../common/planned-steps.js';
import { redact } from '../../common/redact.js';
import { clusterName } from '../kube/cluster-name.js';
import { type ClusterSettings, KUBERNETES_VERSION_AXIS } from '../kube/cluster-settings.js';
import { nodeImageFor } from '../kube/node-images.js';
import {
  createKubeCluster,
  type KubeClusterDriver,
  type KubePlatformOptions,
  type ResolvedKubePlatformOptions,
  resolveKubePlatformOptions,
  StartedKubePlatform,
} from '../kube/started-cluster.js';
import type { Platform, PlatformCreateOptions } from '../platform.js';
import { containerFailure, type K3sContainers, runtimeK3sContainers, startK3s } from './k3s-container.js';

/** Log lines of the k3s server kept in diagnostics. */
const LOG_TAIL_LINES = 2000;
/** The log stream follows the container: read what is there for this long, then stop. */
const LOG_READ_MS = 2000;

/** The image (the `kubernetes-version` axis through kubernetes.nodeImages.k3s or the pinned table); no config file. */
export function k3sSettings(options: PlatformCreateOptions): ClusterSettings {
  const kube = options.scenario.kubernetes;
  if ((kube?.preloadImages.length ?? 0) > 0) {
    throw new UsageError(
      'kubernetes.preloadImages is not supported on the k3s platform (testcontainers cannot import a local image into k3s)',
      'push the images to a registry the cluster can pull from, or use the kind or k3d platform',
    );
  }
  const axis = options.cell.axes[KUBERNETES_VERSION_AXIS] ?? options.cell.custom[KUBERNETES_VERSION_AXIS];
  const { image, kubernetesVersion } = nodeImageFor('k3s', axis, kube?.nodeImages);
  return { configFile: '', nodeImage: image, kubernetesVersion, preloadImages: [] };
}

/** A k3s server in a container (testcontainers' K3sContainer) made for one cell. */
export class StartedK3sPlatform extends StartedKubePlatform {
  readonly name = 'k3s' as const;
  #starting: Promise<StartedK3sContainer> | undefined;

  /** k3s's kubeconfig names its one context `default`. */
  get kubeContext(): string {
    return 'default';
  }

  /** Called by the driver with the container's start, before waiting for it: dispose stops whatever it started. */
  starting(start: Promise<StartedK3sContainer>): void {
    this.#starting = start;
    // An interrupted create stops waiting; the start's own failure is reported by the one who waits.
    start.catch(() => undefined);
  }

  protected async deleteCluster(timeoutMs: number): Promise<void> {
    const start = this.#starting;
    if (!start) return;
    const deadline = performance.now() + timeoutMs;
    const left = () => Math.max(1, deadline - performance.now());
    const timedOut = (what: string) => () =>
      new Error(`${what} did not end within ${Math.round(timeoutMs / 1000)} s`);
    const container = await rejectAfter(
      start.then(
        (c) => c,
        () => undefined,
      ),
      left(),
      timedOut(`starting container ${this.clusterName}`),
    );
    if (container) {
      await rejectAfter(
        container.stop({ remove: true, removeVolumes: true }),
        left(),
        timedOut(`stopping container ${this.clusterName}`),
      );
      return;
    }
    // Its start failed, perhaps after the container was made (reading the kubeconfig): remove it by name.
    const containers: K3sContainers = runtimeK3sContainers();
    const listed = await containers.list();
    for (const c of listed ?? []) if (c.name === this.clusterName) await containers.remove(c.id);
  }

  /** The container's facts and the end of the k3s server's log. */
  protected async exportLogs(dir: string, timeoutMs: number): Promise<void> {
    const container = await this.#starting?.catch(() => undefined);
    if (!container) return;
    await writeFile(
      join(dir, 'k3s-container.json'),
      `${JSON.stringify(
        {
          id: container.getId(),
          name: container.getName(),
          image: this.nodeImage,
          apiServer: `${container.getHost()}:${container.getMappedPort(6443)}`,
        },
        null,
        2,
      )}\n`,
    );
    const logs = await container.logs({ tail: LOG_TAIL_LINES });
    const out = createWriteStream(join(dir, 'k3s-server.log'));
    logs.on('data', (chunk: string | Buffer) => out.write(redact(chunk.toString())));
    await sleep(Math.min(LOG_READ_MS, timeoutMs));
    logs.destroy();
    out.end();
    await finished(out);
  }
}

const k3sDriver = (resolved: ResolvedKubePlatformOptions): KubeClusterDriver<StartedK3sPlatform> => ({
  platform: 'k3s',
  settings: async (options) => k3sSettings(options),
  started: (init) => new StartedK3sPlatform(init),
  async create(started, signal) {
    signal.throwIfAborted();
    let start: Promise<StartedK3sContainer>;
    try {
      start = startK3s({
        name: started.clusterName,
        image: started.nodeImage,
        labels: {
          run: started.runId,
          cell: started.cellId,
          host: resolved.host,
          pid: String(resolved.pid),
          created: started.createdAt,
        },
      });
    } catch (err) {
      throw containerFailure(`starting k3s (${started.nodeImage})`, err);
    }
    started.starting(start);
    let container: StartedK3sContainer;
    try {
      container = await rejectAfter(untilAborted(start, signal), resolved.createTimeoutMs, () => {
        return new Error(`k3s did not start within ${Math.round(resolved.createTimeoutMs / 1000)} s`);
      });
    } catch (err) {
      throw containerFailure(`starting k3s (${started.nodeImage})`, err);
    }
    await writeFile(started.kubeconfigPath, container.getKubeConfig(), { mode: 0o600 });
  },
  async preload() {
    // k3sSettings refuses preloadImages.
  },
});

/**
 * k3s in a container per cell (testcontainers' K3sContainer, the image pinned for the cell's
 * `kubernetes-version` axis); the container is stopped and removed at teardown.
 */
export class K3sPlatform implements Platform {
  readonly name = 'k3s' as const;
  readonly #options: ResolvedKubePlatformOptions;

  constructor(options: KubePlatformOptions = {}) {
    this.#options = resolveKubePlatformOptions(options, homedir);
  }

  create(options: PlatformCreateOptions, ctx: RunContext): Promise<StartedK3sPlatform> {
    return createKubeCluster(k3sDriver(this.#options), options, ctx, this.#options);
  }

  plan(options: PlatformCreateOptions, runId: string): PlannedSteps {
    const s = k3sSettings(options);
    const name = clusterName(runId, options.cell.id);
    return {
      steps: [
        {
          phase: 'provision',
          note: `testcontainers K3sContainer ${s.nodeImage} named ${name} (privileged, API port 6443 mapped to a free host port), labels upgrade-harness.run=${runId}, upgrade-harness.cell=${options.cell.id}`,
        },
        {
          phase: 'provision',
          note: 'its kubeconfig written to <cell work dir>/kubeconfig (0600), context default',
        },
        { phase: 'teardown', note: `stop and remove container ${name}` },
      ],
    };
  }
}
