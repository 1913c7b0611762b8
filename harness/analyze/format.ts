/** `12:00:01.200`: the UTC time of day of an epoch-ms timestamp, to the millisecond. */
export function utcTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** Seconds with three decimals: `3.200`. */
export function seconds3(s: number): string {
  return s.toFixed(3);
}

/** A ratio as a percentage without noise: 0.999 → `99.9%`, 12.5 → `1250%`, 0.0042 → `0.42%`. */
export function percent(ratio: number): string {
  const p = ratio * 100;
  if (p >= 10) return `${Math.round(p)}%`;
  return `${Number(p.toPrecision(2))}%`;
}

/** A target ratio exactly as configured: 0.999 → `99.9%`, 0.99995 → `99.995%`. */
export function targetPercent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(6))}%`;
}

/** `http_5xx 25, reset 3`, largest first. */
export function classCounts(counts: Partial<Record<string, number>>): string {
  return Object.entries(counts)
    .filter((e): e is [string, number] => (e[1] ?? 0) > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}
