import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { errorMessage, InfraError, UsageError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { KubeTarget, PlatformCreateOptions, StartedPlatform } from '../platform.js';
import {
  type ClusterMarker,
  defaultClusterStateDir,
  type MarkerPlatformName,
  removeClusterMarker,
  writeClusterMarker,
} from './cluster-marker.js';
import { clusterName } from './cluster-name.js';
import { type ClusterSettings, clusterSettings } from './cluster-settings.js';
import type { ToolOptions } from './tool-options.js';

/** What the kind, k3d and k3s platforms are built with; every field has a default for real runs. */
export interface KubePlatformOptions {
  /** Where cluster markers go (`gc` reads them). Default: `~/.cache/upgrade-harness/clusters`. */
  stateDir?: string;
  /** Added to the tools' environment (PATH, DOCKER_HOST, …). */
  env?: Record<string, string>;
  /** Recorded in the marker so `gc` can tell whether the owning run is alive. */
  host?: string;
  pid?: number;
  /** Folder for each cell's private files (its kubeconfig). Default: the OS temp folder. */
  workRoot?: string;
  /** Backstop for `cluster create`; the provision phase's deadline usually ends it first. */
  createTimeoutMs?: number;
  /** How long deleting a cluster may take at teardown. */
  deleteTimeoutMs?: number;
  /** How long `collectDiagnostics` may spend exporting logs. */
  diagnosticsTimeoutMs?: number;
}

export interface ResolvedKubePlatformOptions {
  stateDir: string;
  env: Record<string, string> | undefined;
  host: string;
  pid: number;
  workRoot: string;
  createTimeoutMs: number;
  deleteTimeoutMs: number;
  diagnosticsTimeoutMs: number;
}

export function resolveKubePlatformOptions(
  options: KubePlatformOptions,
  homeDir: () => string,
): ResolvedKubePlatformOptions {
  return {
    stateDir: options.stateDir ?? defaultClusterStateDir(homeDir()),
    env: options.env,
    host: options.host ?? hostname(),
    pid: options.pid ?? process.pid,
    workRoot: options.workRoot ?? tmpdir(),
    createTimeoutMs: options.createTimeoutMs ?? 15 * 60_000,
    // The cell runner gives each teardown step 60 s.
    deleteTimeoutMs: options.deleteTimeoutMs ?? 50_000,
    diagnosticsTimeoutMs: options.diagnosticsTimeoutMs ?? 45_000,
  };
}

/** Everything a started cluster knows about itself. */
export interface KubeClusterInit {
  id: string;
  runId: string;
  cellId: string;
  clusterName: string;
  settings: ClusterSettings;
  /** Private folder (0700) holding the kubeconfig; removed at dispose. */
  workDir: string;
  createdAt: string;
  endpoints: string[];
  logger: Logger;
  /** The tools' output goes here (never the kubeconfig, never a token). */
  logFile: string;
  options: ResolvedKubePlatformOptions;
}

/**
 * A kind, k3d or k3s cluster made for one cell. Disposing it deletes the cluster (also after a failed
 * phase), its marker and its kubeconfig; a second dispose does nothing and never throws.
 */
export abstract class StartedKubePlatform implements StartedPlatform {
  abstract readonly name: MarkerPlatformName;
  readonly id: string;
  readonly runId: string;
  readonly cellId: string;
  readonly clusterName: string;
  /** The cluster's kubeconfig (mode 0600). Pass the path on; never log or report the file's contents. */
  readonly kubeconfigPath: string;
  readonly kubernetesVersion: string;
  readonly nodeImage: string;
  readonly configFile: string;
  readonly createdAt: string;
  protected readonly init: KubeClusterInit;
  #disposing: Promise<void> | undefined;

  constructor(init: KubeClusterInit) {
    this.init = init;
    this.id = init.id;
    this.runId = init.runId;
    this.cellId = init.cellId;
    this.clusterName = init.clusterName;
    this.kubeconfigPath = join(init.workDir, 'kubeconfig');
    this.kubernetesVersion = init.settings.kubernetesVersion;
    this.nodeImage = init.settings.nodeImage;
    this.configFile = init.settings.configFile;
    this.createdAt = init.createdAt;
  }

  /** The kubeconfig context of this cluster (`kind-<name>`, `k3d-<name>`, k3s's `default`). */
  abstract get kubeContext(): string;

  /** The kubeconfig and its context; no namespace: the method picks its own on a cluster of its own. */
  kube(): KubeTarget {
    return { kubeconfigPath: this.kubeconfigPath, context: this.kubeContext };
  }

  /** Deletes the cluster; succeeds when it is already gone. */
  protected abstract deleteCluster(timeoutMs: number): Promise<void>;

  /** Writes the cluster's own logs under `dir`, within `timeoutMs`. */
  protected abstract exportLogs(dir: string, timeoutMs: number): Promise<void>;

  /** For the tool's own commands: its environment and the cell's `<platform>.log`. */
  toolOptions(signal?: AbortSignal, timeoutMs?: number): ToolOptions {
    return { env: this.init.options.env, logFile: this.init.logFile, signal, timeoutMs };
  }

  endpoints(): string[] {
    return [...this.init.endpoints];
  }

  async collectDiagnostics(dir: string): Promise<void> {
    const summary = {
      platform: this.name,
      cluster: this.clusterName,
      context: this.kubeContext,
      kubernetesVersion: this.kubernetesVersion,
      nodeImage: this.nodeImage,
      ...(this.configFile ? { configFile: this.configFile } : {}),
      createdAt: this.createdAt,
    };
    await writeFile(join(dir, `${this.name}-cluster.json`), `${JSON.stringify(summary, null, 2)}\n`);
    try {
      await this.exportLogs(dir, this.init.options.diagnosticsTimeoutMs);
    } catch (err) {
      this.init.logger.warn(
        { cluster: this.clusterName, err: errorMessage(err) },
        'cluster logs not exported',
      );
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposing) return this.#disposing.catch(() => undefined);
    this.#disposing = this.#dispose();
    return this.#disposing;
  }

  async #dispose(): Promise<void> {
    const { logger, options } = this.init;
    let failure: unknown;
    try {
      await this.deleteCluster(options.deleteTimeoutMs);
    } catch (err) {
      failure = err;
    }
    // A cluster that could not be deleted keeps its marker: `gc` finds it by it.
    if (failure === undefined) {
      await removeClusterMarker(options.stateDir, this.clusterName).catch((err: unknown) =>
        logger.warn({ cluster: this.clusterName, err: errorMessage(err) }, 'cluster marker not removed'),
      );
    }
    await rm(this.init.workDir, { recursive: true, force: true }).catch((err: unknown) =>
      logger.warn({ err: errorMessage(err) }, 'cluster work folder not removed'),
    );
    if (failure !== undefined) {
      logger.error({ cluster: this.clusterName, err: errorMessage(failure) }, 'cluster not deleted');
      throw new InfraError(
        `${this.name} cluster ${this.clusterName} was not deleted: ${errorMessage(failure)}`,
        {
          cause: failure,
          hint: 'upgrade-harness gc --yes deletes clusters whose run is gone',
        },
      );
    }
    logger.info({ cluster: this.clusterName }, `${this.name} cluster deleted`);
  }
}

/** What a concrete platform supplies to `createKubeCluster`. */
export interface KubeClusterDriver<T extends StartedKubePlatform> {
  platform: MarkerPlatformName;
  /** Checks and resolves the settings before anything is created; default (kind, k3d): their config file and node image. */
  settings?(options: PlatformCreateOptions): Promise<ClusterSettings>;
  started(init: KubeClusterInit): T;
  /** Creates the cluster and writes its kubeconfig to `started.kubeconfigPath`. */
  create(started: T, signal: AbortSignal): Promise<void>;
  preload(started: T, image: string, signal: AbortSignal): Promise<void>;
}

/** The ingress URL when the scenario sends traffic through kind's port mappings. */
function ingressEndpoints(options: PlatformCreateOptions): string[] {
  const access = options.scenario.kubernetes?.access;
  return access?.mode === 'ingress' && access.url ? [access.url.replace(/\/+$/, '')] : [];
}

/**
 * The shared life of a cluster's creation: check the settings (nothing created yet), make the
 * private work folder, write the marker, create, preload. Whatever fails after the marker,
 * the cluster is deleted before the error is thrown: the cell runner never sees a half-made one.
 */
export async function createKubeCluster<T extends StartedKubePlatform>(
  driver: KubeClusterDriver<T>,
  options: PlatformCreateOptions,
  ctx: RunContext,
  resolved: ResolvedKubePlatformOptions,
): Promise<T> {
  const { platform } = driver;
  const settings = driver.settings
    ? await driver.settings(options)
    : platform === 'k3s'
      ? undefined
      : await clusterSettings(platform, options);
  if (!settings) throw new Error(`the ${platform} cluster driver resolves no settings`);
  const name = clusterName(ctx.runId, ctx.cellId);
  const logDir = join(ctx.artifactDir, 'logs');
  await mkdir(logDir, { recursive: true });
  await mkdir(resolved.workRoot, { recursive: true });
  const workDir = await mkdtemp(join(resolved.workRoot, `upgrade-harness-${name}-`));
  await chmod(workDir, 0o700);
  const createdAt = new Date(ctx.clock.now()).toISOString();
  const marker: ClusterMarker = {
    version: 1,
    name,
    platform: driver.platform,
    runId: ctx.runId,
    cellId: ctx.cellId,
    createdAt,
    pid: resolved.pid,
    host: resolved.host,
  };
  try {
    await writeClusterMarker(resolved.stateDir, marker);
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw new UsageError(`cannot write the cluster marker in ${resolved.stateDir}: ${errorMessage(err)}`);
  }
  const started = driver.started({
    id: `${ctx.runId}/${ctx.cellId}`,
    runId: ctx.runId,
    cellId: ctx.cellId,
    clusterName: name,
    settings,
    workDir,
    createdAt,
    endpoints: ingressEndpoints(options),
    logger: ctx.logger,
    logFile: join(logDir, `${driver.platform}.log`),
    options: resolved,
  });
  ctx.logger.info(
    { cluster: name, nodeImage: settings.nodeImage, config: settings.configFile },
    `creating ${driver.platform} cluster`,
  );
  try {
    await driver.create(started, ctx.signal);
    // The tools write it 0600 already; make sure, whatever wrote it.
    await chmod(started.kubeconfigPath, 0o600);
    for (const image of settings.preloadImages) await driver.preload(started, image, ctx.signal);
  } catch (err) {
    ctx.logger.error({ cluster: name, err: errorMessage(err) }, `${driver.platform} cluster not created`);
    try {
      await started[Symbol.asyncDispose]();
    } catch {
      // Logged by dispose; the creation error is the one to report.
    }
    throw err;
  }
  ctx.event('cluster', `${driver.platform} cluster ${name} ready (Kubernetes ${settings.kubernetesVersion})`);
  return started;
}

/** For methods that need a cluster: the started kind/k3d/k3s platform, or a UsageError. */
export function asKubePlatform(platform: StartedPlatform, method: string): StartedKubePlatform {
  if (!(platform instanceof StartedKubePlatform)) {
    throw new UsageError(
      `the ${method} method needs a Kubernetes cluster (kind, k3d or k3s), not "${platform.name}"`,
    );
  }
  return platform;
}
