import type {
  CellExpectation,
  CellRecord,
  CellStatus,
  ErrorBudget,
  RollbackResult,
} from '../common/run-record.js';

/**
 * Wording and number formats shared by the human-facing reports. Locale-independent on purpose:
 * the same record gives the same bytes on every machine.
 */

/** How the analyzer writes an unbounded consumed ratio (failures against an allowance of 0). */
export const UNBOUNDED_RATIO = 1e9;

/** `12345678` → `12,345,678`; decimals are kept as given. */
export function formatCount(n: number): string {
  return groupThousands(String(n));
}

function groupThousands(numeral: string): string {
  const [whole = '', fraction] = numeral.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** Seconds with a fixed number of decimals (3 for downtime, 1 for rollback). */
export function formatSeconds(seconds: number, decimals = 3): string {
  return seconds.toFixed(decimals);
}

/** A ratio as a percentage with one decimal: 0.1234 → `12.3 %`. */
export function formatPercent(ratio: number): string {
  return `${groupThousands((ratio * 100).toFixed(1))} %`;
}

/** Consumed error budget: `12.3 %`, or `∞ (0 allowed)` when any failure breaches a zero allowance. */
export function formatBudget(budget: ErrorBudget): string {
  if (budget.consumedRatio >= UNBOUNDED_RATIO) return `∞ (${formatCount(budget.allowedFailures)} allowed)`;
  return formatPercent(budget.consumedRatio);
}

/** A wall-clock span for people: `850 ms`, `42.0 s`, `4 min 12 s`, `1 h 3 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalSeconds = ms / 1000;
  if (totalSeconds < 60) return `${totalSeconds.toFixed(1)} s`;
  const whole = Math.round(totalSeconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = whole % 60;
  return hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min ${seconds} s`;
}

/** `passed`, `failed (error-budget)`. */
export function describeExpectation(expected: CellExpectation | undefined): string {
  if (!expected) return 'passed';
  return expected.reason ? `${expected.status} (${expected.reason})` : expected.status;
}

/** What a cell ended as, for labels: `passed`, `failed (downtime)`, `errored`, `inconclusive`. */
export function describeOutcome(cell: CellRecord): string {
  return cell.status === 'failed' && cell.reason ? `failed (${cell.reason})` : cell.status;
}

const OUTCOME_VERBS: Partial<Record<CellStatus, string>> = {
  inconclusive: 'was inconclusive',
  interrupted: 'was interrupted',
  timedout: 'timed out',
};

/** What a cell did, for sentences: `the cell passed`, `the cell failed (downtime)`, `the cell timed out`. */
export function describeOutcomeSentence(cell: CellRecord): string {
  return `the cell ${OUTCOME_VERBS[cell.status] ?? describeOutcome(cell)}`;
}

/** True when the cell carries an explicit expectation that it ends other than passed. */
export function expectsNonPass(cell: CellRecord): boolean {
  return cell.expected !== undefined && cell.expected.status !== 'passed';
}

/** `—` not attempted, `✔ 12.3 s`, `✘ 300.0 s`, `?` attempted without a known result. */
export function formatRollback(rollback: RollbackResult): string {
  if (!rollback.attempted) return '—';
  const seconds = rollback.seconds === null ? '' : ` ${formatSeconds(rollback.seconds, 1)} s`;
  if (rollback.succeeded === true) return `✔${seconds}`;
  if (rollback.succeeded === false) return `✘${seconds}`;
  return `?${seconds}`;
}
