import type { RunContext } from '../common/context.js';
import type { PlannedSteps } from '../common/planned-steps.js';
import type { CellPlan, MethodName, ScenarioConfig, StrategyOptions } from '../config/types.js';
import type { StartedPlatform } from '../platforms/platform.js';

export interface MethodOptions {
  scenario: ScenarioConfig;
  scenarioDir: string;
  cell: CellPlan;
  strategyOptions: StrategyOptions;
  /**
   * A failed install: called with the half-made installation before it is disposed, so what
   * explains the failure (its pods, their logs) is collected while it still exists. Must not throw.
   */
  beforeDispose?: (installation: Installation) => Promise<void>;
}

/**
 * How a product is installed, upgraded and rolled back. The lifecycle is in the types: `install`
 * returns an Installation, and only an installation can be upgraded or rolled back.
 */
export interface Method {
  readonly name: MethodName;
  /** Installs `version` and resolves once it is ready and answers as `version`. */
  install(
    platform: StartedPlatform,
    version: string,
    options: MethodOptions,
    ctx: RunContext,
  ): Promise<Installation>;
  /** What install, upgrade, rollback and teardown would run for this cell (`run --dry-run`); runs nothing. */
  plan?(options: MethodOptions, runId: string): PlannedSteps;
}

export interface Installation extends AsyncDisposable {
  /** Base URLs that traffic goes to. Stable across upgrade and rollback. */
  readonly endpoints: string[];
  /**
   * Moves to `to` the way the product's users would (rollout strategy, hooks). Resolves when every
   * replica runs `to` and is ready. Throws ProductError when the product does not get there.
   */
  upgrade(to: string, ctx: RunContext): Promise<void>;
  /** Goes back to `to` (the version before the upgrade), from whatever state the upgrade left. */
  rollback(to: string, ctx: RunContext): Promise<void>;
  collectDiagnostics(dir: string): Promise<void>;
  /** Where the product runs in a cluster (helm, operator): the pod observer, port-forward and Kubernetes diagnostics look here. */
  readonly workload?: KubeWorkload;
}

export interface KubeWorkload {
  /** The namespace the product's pods run in. */
  readonly namespace: string;
  /** Objects whose status explains the product's state (an operator's custom resource): written by the Kubernetes diagnostics. */
  readonly resources?: ReadonlyArray<{ apiVersion: string; kind: string; name: string; namespace?: string }>;
}

/**
 * Runs `install` on a new installation; if it throws, `beforeDispose` sees the installation (the
 * cell's diagnostics), then it is disposed (nothing left running) and the error rethrown.
 */
export async function installOrDispose<T extends Installation>(
  installation: T,
  install: (installation: T) => Promise<void>,
  beforeDispose?: (installation: Installation) => Promise<void>,
): Promise<T> {
  try {
    await install(installation);
  } catch (err) {
    await beforeDispose?.(installation).catch(() => undefined);
    await installation[Symbol.asyncDispose]();
    throw err;
  }
  return installation;
}
