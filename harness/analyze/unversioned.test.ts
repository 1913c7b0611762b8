import { describe, expect, it } from 'vitest';
import { ignoringUnversioned, type PhaseVersions, rollbackCheck, versionCheck } from './checks.js';

describe('versionProbe.unversioned', () => {
  const settle: PhaseVersions = { total: 10, wrong: 4, others: { unknown: 3, '1.0.0': 1 } };

  it('wrong (the default): a response without a version fails the version check', () => {
    const check = versionCheck(settle, '2.0.0');
    expect(check.passed).toBe(false);
    expect(check.value).toBe(4);
    expect(check.message).toBe('settle: 4 of 10 responses not from 2.0.0 (unknown 3, 1.0.0 1)');
  });

  it('ignore: responses without a version are left out and counted apart; others still count', () => {
    const judged = ignoringUnversioned(settle);
    expect(judged).toEqual({ total: 7, wrong: 1, others: { '1.0.0': 1 }, unversioned: 3 });
    const check = versionCheck(judged, '2.0.0');
    expect(check.passed).toBe(false);
    expect(check.message).toBe(
      'settle: 1 of 7 responses not from 2.0.0 (1.0.0 1) (3 without a version not judged)',
    );
    const clean = versionCheck(ignoringUnversioned({ total: 5, wrong: 2, others: { unknown: 2 } }), '2.0.0');
    expect(clean.passed).toBe(true);
    expect(clean.message).toBe('settle: 3 of 3 responses from 2.0.0 (2 without a version not judged)');
  });

  it('ignore: only unversioned responses is nothing to judge, not a pass', () => {
    const check = versionCheck(ignoringUnversioned({ total: 4, wrong: 4, others: { unknown: 4 } }), '2.0.0');
    expect(check.passed).toBe(false);
    expect(check.category).toBe('load');
  });

  it('ignore: a rollback whose verification saw only unversioned answers is a measurement gap, not a failed rollback', () => {
    const judged = ignoringUnversioned({ total: 6, wrong: 6, others: { unknown: 6 } });
    const check = rollbackCheck(judged, '1.0.0', { ok: true, seconds: 2 });
    expect(check.passed).toBe(false);
    expect(check.category).toBe('load');
    expect(
      rollbackCheck({ total: 6, wrong: 1, others: { '2.0.0': 1 } }, '1.0.0', { ok: true, seconds: 2 })
        .category,
    ).toBe('rollback');
  });
});
