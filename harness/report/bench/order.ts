/**
 * Orders for the axes people read tables by: sizes (load profiles) and versions. Neither is a
 * plain string order: `10k` comes after `2k`, `large` after `medium`, `1.10.0` after `1.9.0`.
 */

const SIZE_WORDS = ['xxs', 'xs', 's', 'small', 'm', 'medium', 'l', 'large', 'xl', 'xlarge', 'xxl', 'xxlarge'];
const MULTIPLIERS: Record<string, number> = { '': 1, k: 1e3, m: 1e6 };

/** `1k` → 1000, `10k-users` → 10000, `500` → 500; null when it does not start with a number. */
function sizeNumber(size: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([km]?)(?![a-z])/i.exec(size);
  if (!m) return null;
  return Number(m[1]) * (MULTIPLIERS[(m[2] ?? '').toLowerCase()] ?? 1);
}

/**
 * Sizes in reading order: by number when every one starts with a number (`1k`, `10k`, `50k`), by
 * T-shirt size when every one is one (`small`, `medium`, `large`), otherwise in the order given
 * (the order the runs' cells first showed them, which is the matrix's). Duplicates are dropped.
 */
export function orderSizes(sizesInFirstSeenOrder: readonly string[]): string[] {
  const sizes = [...new Set(sizesInFirstSeenOrder)];
  const numbers = sizes.map(sizeNumber);
  if (numbers.every((n) => n !== null)) {
    return sizes
      .map((s, i) => ({ s, n: numbers[i] as number, i }))
      .sort((a, b) => a.n - b.n || a.i - b.i)
      .map((e) => e.s);
  }
  const ranks = sizes.map((s) => SIZE_WORDS.indexOf(s.toLowerCase()));
  if (ranks.every((r) => r >= 0)) {
    return sizes
      .map((s, i) => ({ s, r: ranks[i] as number }))
      .sort((a, b) => a.r - b.r)
      .map((e) => e.s);
  }
  return sizes;
}

/**
 * Version order: dotted numeric parts compare as numbers, a leading `v` is ignored, and a
 * pre-release (`2.0.0-rc.1`) comes before its release, as in SemVer. Non-numeric parts compare as
 * strings; equal versions compare 0.
 */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = splitPre(a);
  const [coreB = '', preB] = splitPre(b);
  const core = compareParts(coreA, coreB);
  if (core !== 0) return core;
  if (preA === undefined || preB === undefined) {
    if (preA === preB) return 0;
    return preA === undefined ? 1 : -1;
  }
  return compareParts(preA, preB);
}

function splitPre(version: string): [string, string | undefined] {
  const v = version.replace(/^v(?=\d)/, '');
  const dash = v.indexOf('-');
  return dash < 0 ? [v, undefined] : [v.slice(0, dash), v.slice(dash + 1)];
}

function compareParts(a: string, b: string): number {
  const pa = a.split(/[.+]/);
  const pb = b.split(/[.+]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : null;
    const ny = /^\d+$/.test(y) ? Number(y) : null;
    if (nx !== null && ny !== null) {
      if (nx !== ny) return nx - ny;
    } else if (nx !== null || ny !== null) {
      return nx !== null ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** Sorted distinct versions. */
export function sortVersions(versions: Iterable<string>): string[] {
  return [...new Set(versions)].sort(compareVersions);
}
