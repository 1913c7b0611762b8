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
}
