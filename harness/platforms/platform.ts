import type { RunContext } from '../common/context.js';
import type { PlannedSteps } from '../common/planned-steps.js';
import type { CellPlan, PlatformName, ScenarioConfig } from '../config/types.js';

export interface PlatformCreateOptions {
  scenario: ScenarioConfig;
  /** Folder of the scenario file; relative paths in it resolve here. */
  scenarioDir: string;
  cell: CellPlan;
}

/** Where a cell runs. `create` is called once per cell, in the provision phase. */
export interface Platform {
  readonly name: PlatformName;
  create(options: PlatformCreateOptions, ctx: RunContext): Promise<StartedPlatform>;
  /** What create and dispose would run for this cell (`run --dry-run`); runs nothing. */
  plan?(options: PlatformCreateOptions, runId: string): PlannedSteps;
}

/** A created platform. Disposing it removes everything it created; it must not throw twice. */
export interface StartedPlatform extends AsyncDisposable {
  readonly id: string;
  readonly name: PlatformName;
  /** Base URLs of the product when the platform knows them (an existing deployment). */
  endpoints(): string[];
  /** Writes what helps explain a failure into `dir`. Called in the diagnostics phase, always. */
  collectDiagnostics(dir: string): Promise<void>;
  /** The cluster, when the platform is Kubernetes (kind, k3d, k3s, an existing cluster). */
  kube?(): KubeTarget;
}

/** How to reach a cell's Kubernetes cluster. Paths only: a kubeconfig's contents never reach a log or report. */
export interface KubeTarget {
  /** A kubeconfig file (mode 0600). */
  readonly kubeconfigPath: string;
  /** The context to use in it; undefined: its current-context. */
  readonly context?: string;
  /** The namespace the platform set aside for this cell (an existing cluster); undefined: the method picks one. */
  readonly namespace?: string;
}
