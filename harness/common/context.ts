import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

/** What every platform, method and load driver call receives. Nothing reads globals instead. */
export interface RunContext {
  readonly runId: string;
  readonly cellId: string;
  /** Aborted on Ctrl-C/SIGTERM or when the current phase's deadline passes. */
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Absolute path of the cell's artifact folder; logs and diagnostics go here. */
  readonly artifactDir: string;
  /** Marks something on the cell's timeline (a replica replaced, a hook run). */
  event(kind: string, message: string): void;
}
