/**
 * The few error classes the harness throws. Each has a stable `code`; only the CLI maps them to
 * exit codes (see cli/exit-codes.ts). Messages are written for the person who must act on them.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'INFRA'
  | 'EXEC_FAILED'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'PRODUCT';

export class HarnessError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options?.hint;
  }
}

/** One problem in a config file, located as precisely as we can. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted field path, e.g. `axes.path[1].to`. Empty for document-level problems. */
  path: string;
  message: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where} ${issue.message}`;
}

/** Every problem found in one or more config files, reported at once. */
export class ConfigError extends HarnessError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super('CONFIG_INVALID', issues.map(formatConfigIssue).join('\n'));
    this.issues = issues;
  }
}

export class UsageError extends HarnessError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, hint === undefined ? undefined : { hint });
  }
}

/** The harness or what it runs on failed (not the product under test). */
export class InfraError extends HarnessError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('INFRA', message, options);
  }
}

/** The product under test misbehaved (a rollout never became ready, a hook failed). */
export class ProductError extends HarnessError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PRODUCT', message, options);
  }
}

export class TimeoutError extends HarnessError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}

export class AbortedError extends HarnessError {
  constructor(message = 'interrupted') {
    super('ABORTED', message);
  }
}

export function isAbortError(err: unknown): boolean {
  if (err instanceof AbortedError) return true;
  return (
    err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR')
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Throws AbortedError if the signal is aborted; for checks between steps. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError();
}
