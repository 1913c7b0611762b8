import { formatCount } from '../format.js';

/** Text safe inside HTML elements and quoted attributes: every record string goes through here. */
export function escapeHtml(text: string): string {
  return text
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
