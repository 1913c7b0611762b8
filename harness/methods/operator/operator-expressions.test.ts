import { describe, expect, it } from 'vitest';
import { UsageError } from '../../common/errors.js';
import { conditionOf, describeExpression, evaluate, parseExpression } from './operator-expressions.js';

const obj = (generation: number, observed: number) => ({
  metadata: { generation },
  spec: { chart: { version: '2.0' }, replicas: 3 },
  status: {
    version: '2.0',
    conditions: [{ type: 'Available', status: 'True', observedGeneration: observed, reason: 'Up' }],
  },
});

describe('operator expressions', () => {
  it('parses conditions and field comparisons, and refuses anything else', () => {
    expect(parseExpression(' Available=True ', 'r')).toEqual({
      kind: 'condition',
      text: 'Available=True',
      type: 'Available',
      status: 'True',
    });
    expect(parseExpression('status.version == {{version}}', 'r')).toMatchObject({
      kind: 'field',
      path: ['status', 'version'],
      value: '{{version}}',
    });
    for (const bad of ['Available', 'Available=true', '=True', 'status..version==1', 'x=={{other}}']) {
      expect(() => parseExpression(bad, 'operator.ready[0]')).toThrow(UsageError);
    }
  });

  it('evaluates fields as strings and ignores conditions observed for an older generation', () => {
    const version = parseExpression('status.version=={{version}}', 'r');
    expect(evaluate(version, obj(1, 1), '2.0').holds).toBe(true);
    expect(evaluate(version, obj(1, 1), '3.0')).toEqual({ holds: false, seen: 'status.version=2.0' });
    expect(evaluate(parseExpression('spec.replicas==3', 'r'), obj(1, 1), 'x').holds).toBe(true);
    expect(describeExpression(version, '3.0')).toBe('status.version==3.0');

    const available = parseExpression('Available=True', 'r');
    expect(evaluate(available, obj(2, 2), 'x')).toEqual({ holds: true, seen: 'Available=True (Up)' });
    expect(evaluate(available, obj(3, 2), 'x').holds).toBe(false);
    expect(conditionOf(obj(3, 2), 'Available')).toBeUndefined();
    expect(conditionOf({ status: { conditions: 'nonsense' } }, 'Available')).toBeUndefined();
  });
});
