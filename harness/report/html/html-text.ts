import { formatCount, formatSeconds } from '../format.js';

/**
 * Text safe inside HTML elements and quoted attributes: every insertion from the record goes through
 * here, numbers included (run.json files come from CI downloads, so a "number" may be anything).
 */
export function escapeHtml(text: string): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A relative link to a file of the run, each path segment percent-encoded (so never a scheme). */
export function relativeHref(pathFromRunDir: string): string {
  return pathFromRunDir.split('/').map(encodeURIComponent).join('/');
}

/** A measured number for people: `—` for none, integers grouped, others to 3 decimals at most. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return formatCount(Number(value.toFixed(3)));
}

/** A count for people (`12,345`); a value that is not a number is shown as it is (escape it like any text). */
export function countText(n: unknown): string {
  return typeof n === 'number' ? formatCount(n) : String(n);
}

/** Seconds with fixed decimals; a value that is not a number is shown as it is (escape it like any text). */
export function secondsText(seconds: unknown, decimals = 3): string {
  return typeof seconds === 'number' ? formatSeconds(seconds, decimals) : String(seconds);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Epoch ms as UTC, to the second: `2026-01-01 02:00:00 UTC`. */
export function formatUtc(epochMs: number): string {
  if (!Number.isFinite(epochMs)) return '—';
  return `${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Seconds from a start, with one decimal: `+12.3 s`. */
export function formatOffset(epochMs: number, originMs: number): string {
  return `+${((epochMs - originMs) / 1000).toFixed(1)} s`;
}
