import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OperatorFixture, RUN_ID, startOperatorFixture } from './operator-fixture.js';
import { OperatorMethod } from './operator-method.js';

describe('the operator dry-run plan', () => {
  let f: OperatorFixture;
  beforeEach(async () => {
    f = await startOperatorFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  const lines = (operator: Record<string, unknown>) =>
    new OperatorMethod({ helmPath: '/opt/helm' })
      .plan(f.options(operator), RUN_ID)
      .steps.map((s) => `${s.phase} ${s.argv ? s.argv.join(' ') : (s.api ?? s.note)}`);

  it('moves the operator first on upgrade and last on rollback (upgrade: both), naming URLs without fetching them', () => {
    const plan = lines({
      manifests: ['https://example.com/releases/{{operatorVersion}}/crds.yaml?sig=s3cret'],
      chart: { chart: 'shop/shop-operator', repo: 'https://charts.example.com' },
      operatorVersions: { '1.0.0': '0.9.0', '1.1.0': '0.10.0' },
      upgrade: 'both',
    });
    const moves = plan.filter((l) => /crds\.yaml|upgrade --install|PATCH|uninstall/.test(l));
    const ns = f.namespace;
    const helm = (v: string) =>
      `/opt/helm upgrade --install operator shop/shop-operator --version ${v} --namespace ${ns} --create-namespace --labels upgrade-harness.run=${RUN_ID},upgrade-harness.cell=${ns} --wait --timeout 60s`;
    const apply = (v: string) =>
      `APPLY every object in https://example.com/releases/${v}/crds.yaml?sig=*** (server-side, fieldManager upgrade-harness, force)`;
    expect(moves).toEqual([
      `install ${apply('0.9.0')}`,
      `install ${helm('0.9.0')}`,
      `upgrade ${apply('0.10.0')}`,
      `upgrade ${helm('0.10.0')}`,
      'upgrade PATCH apps.example.com/v1beta1 Shop/shop spec.version=1.1.0 (merge, fieldManager upgrade-harness)',
      'rollback PATCH apps.example.com/v1beta1 Shop/shop spec.version=1.0.0 (merge, fieldManager upgrade-harness)',
      `rollback ${apply('0.9.0')}`,
      `rollback ${helm('0.9.0')}`,
      `teardown /opt/helm uninstall operator --namespace ${ns} --wait --timeout 45s --ignore-not-found`,
    ]);
    expect(plan.join('\n')).not.toContain('s3cret');
  });

  it('leaves the resource alone with upgrade: operator, and notes a version missing from the map', () => {
    const plan = lines({ upgrade: 'operator', operatorVersions: { '1.0.0': '0.9.0' } });
    expect(plan.some((l) => l.includes('PATCH'))).toBe(false);
    expect(plan).toContain('upgrade operator.operatorVersions has no entry for version 1.1.0 (has: 1.0.0)');
  });
});
