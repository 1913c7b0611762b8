import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CoreV1Api,
  createConfiguration,
  type KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
} from '@kubernetes/client-node';
import { untilAborted } from '../common/deadline.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { redact, redactDeep } from '../common/redact.js';
import { loadKubeConfig } from '../platforms/kube/load-kubeconfig.js';
import type { KubeTarget } from '../platforms/platform.js';
import {
  type EventDigest,
  eventDigest,
  logTargets,
  type NodeDigest,
  nodeDigest,
  type PodDigest,
  podDigest,
  resourceDigest,
  sortEvents,
} from './kube-diagnostics-digest.js';
import { type KubeDiagnosticsFindings, renderKubeSummary } from './kube-diagnostics-summary.js';
import type { KubeItem } from './list-watch.js';

/** An object whose status is worth keeping (the operator's custom resource, a Deployment). */
export interface KubeResourceRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Default: the diagnostics namespace (ignored for cluster-scoped kinds). */
  namespace?: string;
}

export interface KubeDiagnosticsOptions {
  target: KubeTarget;
  /** The workload's namespace (Installation.workload.namespace). */
  namespace: string;
  /** The cell's artifact folder; everything goes into `dir/kubernetes/`. */
  dir: string;
  logger: Logger;
  /** Last lines kept per container log (current and previous); KubernetesConfig.observe.logTailLines. */
  logTailLines: number;
  /** The whole collection; what is not done by then is noted as not collected. */
  timeoutMs: number;
  resources?: KubeResourceRef[];
  /** Ends the collection early (e.g. the run's signal); what was collected is still written. */
  signal?: AbortSignal;
  /** Bytes per log file at most (the API server cuts); default 256 KiB. */
  logLimitBytes?: number;
  /** Container logs fetched at most (current and previous count apart); default 40. */
  maxLogs?: number;
  /** Events written at most (the latest); default 1000. */
  maxEvents?: number;
}

export interface KubeDiagnosticsResult {
  /** `dir/kubernetes`. */
  dir: string;
  /** Files written, relative to `dir/kubernetes`. */
  files: string[];
  /** Parts that could not be collected (also in summary.md). */
  failures: { part: string; message: string }[];
}

export const KUBE_DIAGNOSTICS_DIR = 'kubernetes';

const LOG_CONCURRENCY = 4;

/** A file name from API names (DNS labels already; anything else is replaced). */
function safeName(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 200) || '_'
  );
}

/** Plain JSON (typed client objects carry Date instances, which redactDeep would empty). */
function plain<T>(value: T): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** The first line of an error's message, redacted (a kubeconfig parse error may quote the file). */
function shortMessage(err: unknown): string {
  const status = (err as { code?: unknown; body?: unknown } | null) ?? {};
  let message = errorMessage(err);
  if (typeof status.code === 'number' && typeof status.body === 'string') {
    try {
      const body = JSON.parse(status.body) as { message?: unknown };
      if (typeof body.message === 'string') message = `${status.code}: ${body.message}`;
    } catch {
      message = `HTTP ${status.code}`;
    }
  }
  return redact(message.split('\n')[0] ?? '').slice(0, 500);
}

function kubeConfigFor(target: KubeTarget): KubeConfig {
  const kc = loadKubeConfig(target);
  if (!kc.getCurrentCluster()) throw new Error(`the kubeconfig ${target.kubeconfigPath} names no cluster`);
  return kc;
}

/** API clients whose every request carries `signal`. */
function clients(kc: KubeConfig, signal: AbortSignal): { core: CoreV1Api; objects: KubernetesObjectApi } {
  const server = kc.getCurrentCluster()?.server ?? '';
  const config = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (context) => {
          context.setSignal(signal);
          return context;
        },
        post: async (response) => response,
      },
    ],
  });
  return { core: new CoreV1Api(config), objects: new KubernetesObjectApi(config) };
}

/**
 * Writes what explains a Kubernetes failure into `dir/kubernetes/`: pods.json, events.json,
 * nodes.json, logs/ of pods not ready or restarted, resources/ (each given object's status) and
 * summary.md. Best-effort: each part fails alone (logged, noted in summary.md), the whole is
 * bounded by timeoutMs, everything is redacted, env values and Secrets are never read. Never throws.
 */
export async function collectKubeDiagnostics(
  options: KubeDiagnosticsOptions,
): Promise<KubeDiagnosticsResult> {
  const out = join(options.dir, KUBE_DIAGNOSTICS_DIR);
  const files: string[] = [];
  const { logger, namespace } = options;
  const findings: KubeDiagnosticsFindings = {
    namespace,
    ...(options.target.context !== undefined ? { context: options.target.context } : {}),
    collectedAt: Date.now(),
    resources: [],
    logs: [],
    failures: [],
  };
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs),
    ...(options.signal ? [options.signal] : []),
  ]);
  const fail = (part: string, err: unknown) => {
    const message =
      signal.aborted && !options.signal?.aborted
        ? `timed out after ${options.timeoutMs} ms`
        : shortMessage(err);
    findings.failures.push({ part, message });
    logger.warn({ part, namespace }, `kubernetes diagnostics: ${part} not collected: ${message}`);
  };
  const write = async (relative: string, content: string) => {
    await mkdir(join(out, relative, '..'), { recursive: true });
    await writeFile(join(out, relative), content);
    files.push(relative);
  };
  const writeJson = (relative: string, value: unknown) =>
    write(relative, `${JSON.stringify(redactDeep(plain(value)), null, 2)}\n`);

  try {
    await mkdir(out, { recursive: true });
  } catch (err: unknown) {
    logger.warn({ dir: out }, `kubernetes diagnostics: cannot create ${out}: ${errorMessage(err)}`);
    return { dir: out, files, failures: [{ part: 'folder', message: errorMessage(err) }] };
  }

  let api: ReturnType<typeof clients> | undefined;
  try {
    api = clients(kubeConfigFor(options.target), signal);
  } catch (err: unknown) {
    fail('kubeconfig', err);
  }

  if (api) {
    const { core, objects } = api;
    const podsAndLogs = async () => {
      let raw: KubeItem[];
      try {
        const listed = await bounded(core.listNamespacedPod({ namespace }), signal);
        raw = plain(listed.items) as KubeItem[];
        findings.pods = raw.map(podDigest).sort((a, b) => a.name.localeCompare(b.name));
        await writeJson('pods.json', { namespace, pods: findings.pods });
      } catch (err: unknown) {
        fail('pods', err);
        return;
      }
      await collectLogs(findings.pods, options, core, signal, findings, write);
    };
    const events = async () => {
      try {
        const listed = await bounded(core.listNamespacedEvent({ namespace }), signal);
        const all = sortEvents((plain(listed.items) as KubeItem[]).map(eventDigest));
        const kept = all.slice(-(options.maxEvents ?? 1000));
        findings.events = all;
        await writeJson('events.json', {
          namespace,
          total: all.length,
          warnings: all.filter((e) => e.type === 'Warning').length,
          ...(kept.length < all.length ? { dropped: all.length - kept.length } : {}),
          events: kept,
        });
      } catch (err: unknown) {
        fail('events', err);
      }
    };
    const nodes = async () => {
      try {
        const listed = await bounded(core.listNode(), signal);
        findings.nodes = (plain(listed.items) as KubeItem[]).map(nodeDigest);
        await writeJson('nodes.json', { nodes: findings.nodes });
      } catch (err: unknown) {
        fail('nodes', err);
      }
    };
    const resources = async () => {
      for (const ref of options.resources ?? []) {
        const label = `${ref.kind}/${ref.name}`;
        if (ref.kind === 'Secret' && ref.apiVersion === 'v1') {
          findings.resources.push({ ref: label, error: 'Secrets are never read' });
          continue;
        }
        try {
          const obj = await bounded(
            objects.read({
              apiVersion: ref.apiVersion,
              kind: ref.kind,
              metadata: { name: ref.name, namespace: ref.namespace ?? namespace },
            }),
            signal,
          );
          const digest = resourceDigest(plain(obj) as KubeItem);
          const file = `resources/${safeName(`${ref.kind}-${ref.name}`)}.json`;
          await writeJson(file, digest);
          findings.resources.push({ ref: label, file, status: redactDeep(digest.status) });
        } catch (err: unknown) {
          const message = signal.aborted ? `timed out after ${options.timeoutMs} ms` : shortMessage(err);
          findings.resources.push({ ref: label, error: message });
          logger.warn({ resource: label }, `kubernetes diagnostics: ${label} not read: ${message}`);
        }
      }
    };
    await Promise.all([podsAndLogs(), events(), nodes(), resources()]);
  }

  try {
    findings.collectedAt = Date.now();
    await write('summary.md', redact(renderKubeSummary(findings)));
  } catch (err: unknown) {
    logger.warn({ dir: out }, `kubernetes diagnostics: summary.md not written: ${errorMessage(err)}`);
  }
  return { dir: out, files, failures: findings.failures };
}

async function collectLogs(
  pods: PodDigest[],
  options: KubeDiagnosticsOptions,
  core: CoreV1Api,
  signal: AbortSignal,
  findings: KubeDiagnosticsFindings,
  write: (relative: string, content: string) => Promise<void>,
): Promise<void> {
  const wanted = pods.flatMap((pod) => logTargets(pod).map((t) => ({ pod: pod.name, ...t })));
  const max = options.maxLogs ?? 40;
  const queue = wanted.slice(0, max);
  if (wanted.length > max) {
    findings.failures.push({
      part: 'logs',
      message: `${wanted.length - max} container logs skipped (at most ${max})`,
    });
  }
  const fetchOne = async (t: { pod: string; container: string; previous: boolean }) => {
    const file = `logs/${safeName(`${t.pod}_${t.container}`)}${t.previous ? '.previous' : ''}.log`;
    try {
      const text = await bounded(
        core.readNamespacedPodLog({
          name: t.pod,
          namespace: options.namespace,
          container: t.container,
          tailLines: options.logTailLines,
          limitBytes: options.logLimitBytes ?? 256 * 1024,
          ...(t.previous ? { previous: true } : {}),
        }),
        signal,
      );
      await write(file, redact(String(text)));
      findings.logs.push({ file });
    } catch (err: unknown) {
      const message = signal.aborted ? `timed out after ${options.timeoutMs} ms` : shortMessage(err);
      findings.logs.push({ file, error: message });
      options.logger.warn({ file }, `kubernetes diagnostics: ${file} not read: ${message}`);
    }
  };
  const workers = Array.from({ length: Math.min(LOG_CONCURRENCY, queue.length) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await fetchOne(next);
  });
  await Promise.all(workers);
  findings.logs.sort((a, b) => a.file.localeCompare(b.file));
}

/** Re-exported for callers that render or test the digests. */
export type { EventDigest, NodeDigest, PodDigest };

/** Rejects once `signal` (the collection's deadline) aborts, whatever the promise does. */
function bounded<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return untilAborted(promise, signal, () => new Error('timed out'));
}
