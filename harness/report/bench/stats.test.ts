import { describe, expect, it } from 'vitest';
import { compareVersions, orderSizes, sortVersions } from './order.js';
import { aggregate, changePercent, csvNumber, formatAggregate, formatChange } from './stats.js';
import { csvDocument, csvField, markdownTable } from './table-text.js';

describe('aggregate', () => {
  it('takes the median of an odd count, min and max, and skips unmeasured values', () => {
    expect(aggregate([30, null, 10, 20, undefined])).toEqual({ n: 3, median: 20, min: 10, max: 30 });
  });
  it('takes the mean of the middle two of an even count', () => {
    expect(aggregate([4, 1, 10, 2])).toEqual({ n: 4, median: 3, min: 1, max: 10 });
  });
  it('is null when nothing was measured, and keeps Infinity', () => {
    expect(aggregate([null, null])).toBeNull();
    expect(aggregate([5, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY])?.median).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});

describe('changes and number formats', () => {
  it('computes the change in percent of the first value', () => {
    expect(changePercent(80, 100)).toBe(25);
    expect(changePercent(100, 80)).toBe(-20);
    expect(changePercent(0, 5)).toBeNull();
    expect(changePercent(null, 5)).toBeNull();
  });
  it('signs changes and never writes -0.0', () => {
    expect(formatChange(12.345)).toBe('+12.3 %');
    expect(formatChange(-4)).toBe('−4.0 %');
    expect(formatChange(-0.01)).toBe('0.0 %');
    expect(formatChange(null)).toBe('—');
  });
  it('formats aggregates with range and count', () => {
    expect(formatAggregate({ n: 1, median: 2, min: 2, max: 2 }, 1, 1)).toBe('2.0');
    expect(formatAggregate({ n: 3, median: 2, min: 1, max: 4.25 }, 2, 3)).toBe('2.00 (1.00–4.25)');
    expect(formatAggregate({ n: 3, median: 2, min: 1.99, max: 2.01 }, 1, 3)).toBe('2.0');
    expect(formatAggregate({ n: 2, median: 2, min: 1, max: 3 }, 0, 3)).toBe('2 (1–3, n=2)');
    expect(formatAggregate({ n: 1, median: 2, min: 2, max: 2 }, 0, 3)).toBe('2 (n=1)');
    expect(formatAggregate(null, 1, 3)).toBe('—');
    expect(formatAggregate({ n: 1, median: Infinity, min: Infinity, max: Infinity }, 1, 1)).toBe('∞');
  });
  it('writes plain CSV numbers', () => {
    expect(csvNumber(1 / 3, 3)).toBe('0.333');
    expect(csvNumber(1e-9, 3)).toBe('0');
    expect(csvNumber(-0.0001, 2)).toBe('0');
    expect(csvNumber(1_234_567.891, 1)).toBe('1234567.9');
    expect(csvNumber(Number.POSITIVE_INFINITY, 1)).toBe('inf');
    expect(csvNumber(null, 1)).toBe('');
  });
});

describe('orders', () => {
  it('orders sizes by number, by T-shirt size, or as first seen', () => {
    expect(orderSizes(['10k', '1k', '2k', '1k', '50k'])).toEqual(['1k', '2k', '10k', '50k']);
    expect(orderSizes(['1000', '1k-users', '500'])).toEqual(['500', '1000', '1k-users']);
    expect(orderSizes(['large', 'small', 'medium'])).toEqual(['small', 'medium', 'large']);
    expect(orderSizes(['gold', 'bronze', 'silver'])).toEqual(['gold', 'bronze', 'silver']);
  });
  it('orders versions numerically with pre-releases first', () => {
    expect(sortVersions(['1.10.0', '1.9.0', 'v1.2.0', '2.0.0', '2.0.0-rc.1', '1.9.0'])).toEqual([
      'v1.2.0',
      '1.9.0',
      '1.10.0',
      '2.0.0-rc.1',
      '2.0.0',
    ]);
    expect(compareVersions('17.10.0', '17.9.0')).toBeGreaterThan(0);
    expect(compareVersions('1.0', '1.0.0')).toBeLessThan(0);
  });
});

describe('table text', () => {
  it('quotes CSV fields per RFC 4180 and ends lines with CRLF', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvDocument(['a', 'b'], [['1', 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
  });
  it('escapes what would break a Markdown table', () => {
    expect(markdownTable(['k', 'v'], ['left', 'right'], [['a|b', '<x>\nnext & more']])).toBe(
      ['| k | v |', '| :-- | --: |', '| a\\|b | &lt;x> next &amp; more |'].join('\n'),
    );
  });
});
