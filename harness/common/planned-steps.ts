/** One thing a plugin would do for a cell, shown by `run --dry-run` instead of being done. */
export interface PlannedStep {
  /** The cell phase it belongs to: provision, install, upgrade, rollback, diagnostics, teardown. */
  phase: string;
  /** A command it would run, exactly (placeholders in <angle brackets> for what only a run knows). */
  argv?: string[];
  /** Or an API call, e.g. `PATCH apps/v1 deployments/web (merge)`. */
  api?: string;
  /** Or what happens, in words. */
  note?: string;
}

/** What a platform or method would do for a cell, without doing it. */
export interface PlannedSteps {
  /** Environment added to every command (values redacted by the printer). */
  env?: Record<string, string>;
  steps: PlannedStep[];
}
