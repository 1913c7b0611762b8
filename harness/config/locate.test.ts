import { describe, expect, it } from 'vitest';
import { formatPath, locate } from './locate.js';
import { closestMatch } from './suggest.js';
import { parseYaml } from './yaml-source.js';

const TEXT = `# comment
traffic:
  rate: 10
  endpoints:
    - { name: a, path: / }
  writer:
env:
  "A.B": x
`;

function source() {
  const parsed = parseYaml(TEXT, 'f.yaml');
  if (!parsed.ok) throw new Error('bad test YAML');
  return parsed.source;
}

describe('locate', () => {
  it('points at values, keys, and the holder of a missing field', () => {
    const s = source();
    expect(locate(s, { path: ['traffic', 'rate'], message: '' })).toEqual({ line: 3, column: 9 });
    expect(locate(s, { path: ['traffic', 'rate'], message: '', target: 'key' })).toEqual({
      line: 3,
      column: 3,
    });
    expect(locate(s, { path: ['traffic', 'endpoints', 0, 'path'], message: '' })).toEqual({
      line: 5,
      column: 24,
    });
    // Missing key in a flow map: the map; in a block map: the key that holds the map.
    expect(locate(s, { path: ['traffic', 'endpoints', 0, 'weight'], message: '' })).toEqual({
      line: 5,
      column: 7,
    });
    expect(locate(s, { path: ['traffic', 'timeoutMs'], message: '' })).toEqual({ line: 2, column: 1 });
    // An empty value is shown at its key.
    expect(locate(s, { path: ['traffic', 'writer'], message: '' })).toEqual({ line: 6, column: 3 });
    expect(locate(s, { path: ['nothing', 'here'], message: '' })).toEqual({ line: 2, column: 1 });
  });

  it('formats paths with dots, indexes and quoted odd keys', () => {
    expect(formatPath(['axes', 'path', 1, 'to'])).toBe('axes.path[1].to');
    expect(formatPath(['env', 'A.B'])).toBe('env["A.B"]');
    expect(formatPath([])).toBe('');
  });
});

describe('closestMatch', () => {
  it('suggests near misses only', () => {
    expect(closestMatch('comand', ['name', 'command'])).toBe('command');
    expect(closestMatch('stratgy', ['strategy', 'path'])).toBe('strategy');
    expect(closestMatch('xyz', ['strategy', 'path'])).toBeUndefined();
    expect(closestMatch('path', ['path'])).toBeUndefined();
  });
});
