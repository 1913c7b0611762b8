import { describe, expect, it } from 'vitest';
import type { Outcome, Sample } from '../common/sample.js';
import { computeVersions } from './versions.js';

function sample(endMs: number, version: string | undefined, outcome: Outcome = 'ok'): Sample {
  const s: Sample = {
    sampler: 'home:reused',
    endpoint: 'home',
    endpointClass: 'web',
    connection: 'reused',
    intendedStartMs: endMs - 1,
    startMs: endMs - 1,
    endMs,
    outcome,
  };
  if (version !== undefined) s.version = version;
  return s;
}

describe('computeVersions', () => {
  it('counts who served ok responses', () => {
    const v = computeVersions(
      [sample(1, '1'), sample(2, '1'), sample(3, '2'), sample(4, '2', 'http_5xx'), sample(5, undefined)],
      '1',
      '2',
    );
    expect(v.servedBy).toEqual({ '1': 2, '2': 1, unknown: 1 });
  });

  it('finds the mixed window from the first new response to the last old one after it', () => {
    const v = computeVersions(
      [
        sample(10, '1'),
        sample(20, '1'),
        sample(30, '2'),
        sample(40, '1'),
        sample(50, '2'),
        sample(60, '1'),
        sample(70, '2'),
      ],
      '1',
      '2',
    );
    expect(v.mixedWindow).toEqual({ startedAt: 30, endedAt: 60, seconds: 0.03 });
  });

  it('is null for a clean switch or when only one version answered', () => {
    expect(
      computeVersions([sample(10, '1'), sample(20, '2'), sample(30, '2')], '1', '2').mixedWindow,
    ).toBeNull();
    expect(computeVersions([sample(10, '1'), sample(20, '1')], '1', '2').mixedWindow).toBeNull();
    expect(computeVersions([], '1', '2').mixedWindow).toBeNull();
  });

  it('ignores old responses after `until` (a rollback brings them back by design)', () => {
    const samples = [sample(10, '1'), sample(20, '2'), sample(25, '1'), sample(30, '2'), sample(100, '1')];
    expect(computeVersions(samples, '1', '2', 50).mixedWindow).toEqual({
      startedAt: 20,
      endedAt: 25,
      seconds: 0.005,
    });
  });

  it('ignores failed responses', () => {
    const v = computeVersions([sample(10, '2'), sample(20, '1', 'http_5xx')], '1', '2');
    expect(v.mixedWindow).toBeNull();
  });
});
