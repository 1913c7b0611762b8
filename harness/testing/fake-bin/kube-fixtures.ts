import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { createLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import type { CellPlan, PlatformName, ScenarioConfig } from '../../config/types.js';

/**
 * A scenario folder for cluster tests: `<root>/scenarios/` (the scenario's folder) and
 * `<root>/kind-configs/` with a kind and a k3d config, as the repository lays them out.
 */
export async function kubeScenarioDir(root: string): Promise<{ scenarioDir: string; configDir: string }> {
  const scenarioDir = join(root, 'scenarios');
  const configDir = join(root, 'kind-configs');
  await mkdir(scenarioDir, { recursive: true });
  await mkdir(configDir, { recursive: true });
  await writeFile(
    join(configDir, 'single-node.yaml'),
    'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n',
  );
  await writeFile(
    join(configDir, 'k3d-single-node.yaml'),
    'apiVersion: k3d.io/v1alpha5\nkind: Simple\nservers: 1\nagents: 0\n',
  );
  return { scenarioDir, configDir };
}

/** A valid scenario with a `kubernetes` section (the schema's defaults fill the rest). */
export function kubeScenario(kubernetes: Record<string, unknown> = {}): ScenarioConfig {
  return ScenarioSchema.parse({
    apiVersion: 'upgrade-harness/v1',
    kind: 'Scenario',
    name: 'kube-app',
    versions: ['1.0.0', '1.1.0'],
    versionProbe: { header: 'x-app-version' },
    kubernetes: { access: { service: 'web', port: 80 }, ...kubernetes },
    traffic: { endpoints: [{ name: 'home', class: 'web', method: 'GET', path: '/', weight: 1 }] },
  }) as ScenarioConfig;
}

export function kubeCell(platform: PlatformName, custom: Record<string, string> = {}): CellPlan {
  return {
    id: `${platform}-helm-rolling-1.0.0-1.1.0`,
    platform,
    method: 'helm',
    strategy: 'rolling',
    path: { from: '1.0.0', to: '1.1.0' },
    rollback: 'never',
    profile: 'default',
    custom,
    axes: { platform, method: 'helm', strategy: 'rolling', from: '1.0.0', to: '1.1.0', ...custom },
  };
}

/** A run context whose log goes to `<artifactDir>/cell.log`, so tests can read what was logged. */
export function kubeRunContext(
  artifactDir: string,
  options: { runId?: string; cellId?: string; signal?: AbortSignal } = {},
): RunContext & { events: Array<{ kind: string; message: string }> } {
  const events: Array<{ kind: string; message: string }> = [];
  return {
    runId: options.runId ?? '20260101-020304-a1b2',
    cellId: options.cellId ?? 'kind-helm-rolling-1.0.0-1.1.0',
    signal: options.signal ?? new AbortController().signal,
    clock: systemClock,
    logger: createLogger({ file: join(artifactDir, 'cell.log'), level: 'debug' }),
    artifactDir,
    event: (kind, message) => events.push({ kind, message }),
    events,
  };
}
