import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/errors.js';
import { parseScenario } from '../../config/load.js';

const scenario = (operator: string) =>
  [
    'apiVersion: upgrade-harness/v1',
    'kind: Scenario',
    'name: shop',
    'versions: ["1.0.0", "1.1.0"]',
    'versionProbe: { header: x-version }',
    'readiness: { path: /healthz }',
    'traffic:',
    '  endpoints: [{ name: api, path: / }]',
    '  rate: 10',
    'operator:',
    '  resource: shop.yaml',
    ...operator.split('\n').map((l) => `  ${l}`),
    '',
  ].join('\n');

function issues(text: string) {
  try {
    parseScenario(text, 'scenarios/shop.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('the operator section of a scenario', () => {
  it('reports a ready or failed expression with bad syntax at its line, with the syntax expected', () => {
    const found = issues(scenario('ready:\n  - Available=True\n  - Available\nfailed:\n  - "x=={{nope}}"'));
    expect(found.map((i) => `${i.file}:${i.line} ${i.path}`)).toEqual([
      'scenarios/shop.yaml:14 operator.ready[1]',
      'scenarios/shop.yaml:16 operator.failed[0]',
    ]);
    expect(found[0]?.message).toBe(
      '"Available" is not an expression the operator method understands: write a condition as ' +
        'Type=Status (Available=True; status is True, False or Unknown) or a field comparison as ' +
        'a.b.c==value (status.version=={{version}})',
    );
    expect(found[1]?.message).toMatch(/^"x==\{\{nope\}\}": unknown template variable \{\{nope\}\}/);
  });

  it('accepts good expressions, and needs manifests or a chart when the upgrade moves the operator', () => {
    expect(issues(scenario('ready: ["Available=True", "status.version == {{version}}"]'))).toEqual([]);
    const found = issues(scenario('upgrade: both'));
    expect(found.map((i) => `${i.line} ${i.path}`)).toEqual(['12 operator.upgrade']);
    expect(found[0]?.message).toMatch(/list its manifests .* or give its chart/);
    expect(
      issues(scenario('upgrade: operator\nmanifests: ["https://example.com/{{operatorVersion}}/op.yaml"]')),
    ).toEqual([]);
  });
});
