/**
 * Aggregates over repetitions (the same cell measured in several runs) and the formats the bench
 * tables share. Locale-independent: the same records give the same bytes on every machine.
 */

/** Median, min and max of the repetitions that measured a number, and how many did. */
export interface Aggregate {
  n: number;
  median: number;
  min: number;
  max: number;
}

/**
 * Aggregate of the measured values (null = not measured, skipped); null when none was measured.
 * The median of an even count is the mean of the two middle values. Infinity is kept (an error
 * budget consumed without any allowance).
 */
export function aggregate(values: ReadonlyArray<number | null | undefined>): Aggregate | null {
  const measured = values.filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
  if (measured.length === 0) return null;
  const sorted = [...measured].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  const median = sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
  return { n: sorted.length, median, min: sorted[0] as number, max: sorted.at(-1) as number };
}

/** Change from `before` to `after` in percent of `before`; null when either is missing or `before` is 0. */
export function changePercent(before: number | null, after: number | null): number | null {
  if (before === null || after === null || before === 0) return null;
  if (!Number.isFinite(before) || !Number.isFinite(after)) return null;
  return ((after - before) / before) * 100;
}

/** `12.3`, `∞`; fixed decimals. */
export function fixed(value: number, decimals: number): string {
  if (value === Number.POSITIVE_INFINITY) return '∞';
  const text = value.toFixed(decimals);
  // -0.0 after rounding reads as a change that is not there.
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** A signed change for people: `+12.3 %`, `−4.0 %`, `0.0 %`; `—` when unknown. */
export function formatChange(percent: number | null): string {
  if (percent === null) return '—';
  const text = fixed(percent, 1);
  if (/^0(\.0*)?$/.test(text)) return `${text} %`;
  return percent > 0 ? `+${text} %` : `−${text.slice(1)} %`;
}

/**
 * An aggregate for a Markdown cell: the median, `23.5 (21.0–25.2)` when the repetitions differ at
 * the precision shown, `… n=2` when fewer repetitions measured it than the row has, `—` when none did.
 */
export function formatAggregate(a: Aggregate | null, decimals: number, rowCount: number): string {
  if (a === null) return '—';
  const median = fixed(a.median, decimals);
  const [min, max] = [fixed(a.min, decimals), fixed(a.max, decimals)];
  // A range that shows the same number twice says nothing the row's cell count does not.
  const range = min === max ? '' : `${min}–${max}`;
  const count = a.n < rowCount ? `n=${a.n}` : '';
  const notes = [range, count].filter((s) => s !== '');
  return notes.length === 0 ? median : `${median} (${notes.join(', ')})`;
}

/** A plain CSV number rounded to `decimals` (no exponent for the magnitudes we write); `inf` for Infinity. */
export function csvNumber(value: number | null | undefined, decimals: number): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  const rounded = Number(value.toFixed(decimals));
  return String(rounded === 0 ? 0 : rounded);
}
