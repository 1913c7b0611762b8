const EXACT = 256;
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
const MAX_VALUE = 2 ** 31 - 1;
const SIZE = EXACT + (31 - 8) * SUB;

/**
 * A small log-linear histogram of non-negative integers for the timeline's per-bucket percentiles:
 * values below 256 exactly, larger ones to 8 significant bits (< 0.8 % relative error, within
 * what 2 significant decimal digits promise). Recording is a few integer operations; one instance
 * is reused for many buckets (reset clears only what was touched).
 */
export class BucketHistogram {
  readonly #counts = new Uint32Array(SIZE);
  #total = 0;
  #low = SIZE;
  #high = -1;

  get totalCount(): number {
    return this.#total;
  }

  record(value: number): void {
    const i = indexOf(value);
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#total++;
    if (i < this.#low) this.#low = i;
    if (i > this.#high) this.#high = i;
  }

  /**
   * The smallest value v such that at least p % of the recorded values are <= v, reported as the
   * highest value its slot holds (as HdrHistogram does). 0 when empty.
   */
  valueAtPercentile(p: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.#total));
    let seen = 0;
    for (let i = this.#low; i <= this.#high; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) return highestIn(i);
    }
    return highestIn(this.#high);
  }

  reset(): void {
    if (this.#high >= this.#low) this.#counts.fill(0, this.#low, this.#high + 1);
    this.#total = 0;
    this.#low = SIZE;
    this.#high = -1;
  }
}

function indexOf(value: number): number {
  const v = value >= MAX_VALUE ? MAX_VALUE : value > 0 ? Math.floor(value) : 0;
  if (v < EXACT) return v;
  const e = 31 - Math.clz32(v); // 8..30
  const m = v >>> (e - SUB_BITS); // SUB..2·SUB−1
  return EXACT + (e - 8) * SUB + (m - SUB);
}

function highestIn(index: number): number {
  if (index < EXACT) return index;
  const e = ((index - EXACT) >> SUB_BITS) + 8;
  const m = SUB + ((index - EXACT) & (SUB - 1));
  const width = 2 ** (e - SUB_BITS);
  return m * width + width - 1;
}
