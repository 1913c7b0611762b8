import { describe, expect, it } from 'vitest';
import { UsageError } from '../../common/errors.js';
import type { HelmMethodConfig } from '../../config/types.js';
import {
  chartVersionFor,
  checkChartVersions,
  defaultNamespace,
  helmEnv,
  helmPlan,
  historyCommand,
  labelValue,
  lintCommand,
  repoAddCommand,
  resolveChart,
  rollbackCommand,
  statusCommand,
  uninstallCommand,
  upgradeCommand,
} from './helm-commands.js';
import { redactValues, summarizeStatus } from './helm-diagnostics.js';
import { lastDeployed, parseHistory } from './helm-history.js';

const base: HelmMethodConfig = {
  chart: 'charts/app',
  chartVersion: '{{version}}',
  chartVersions: {},
  values: [],
  set: {},
  timeoutSeconds: 60,
};
const plan = (config: Partial<HelmMethodConfig>) =>
  helmPlan({
    config: { ...base, ...config },
    scenarioName: 'app',
    scenarioDir: '/s',
    runId: 'r1',
    cellId: 'c1',
  });

describe('helm argv builders', () => {
  it('names the namespace per run and cell, and keeps label values valid', () => {
    expect(defaultNamespace('r1', 'c1')).toMatch(/^uh-[0-9a-f]{12}$/);
    expect(defaultNamespace('r1', 'c1')).toBe(defaultNamespace('r1', 'c1'));
    expect(defaultNamespace('r1', 'c1')).not.toBe(defaultNamespace('r2', 'c1'));
    expect(defaultNamespace('r1', 'c1')).not.toBe(defaultNamespace('r1', 'c2'));
    expect(labelValue('20250601-120000-beef')).toBe('20250601-120000-beef');
    expect(labelValue('--my run/№1 →--')).toBe('my-run--1');
    expect(labelValue('x'.repeat(80))).toHaveLength(63);
  });

  it('tells repo, OCI and path charts apart', () => {
    expect(resolveChart({ ...base, chart: 'bitnami/nginx', repo: 'https://c.example' }, '/s')).toEqual({
      kind: 'repo',
      ref: 'bitnami/nginx',
      repoName: 'bitnami',
      repoUrl: 'https://c.example',
    });
    expect(resolveChart({ ...base, chart: 'nginx', repo: 'https://c.example' }, '/s').ref).toBe(
      'chart-repo/nginx',
    );
    expect(resolveChart({ ...base, chart: 'oci://r.example/c/app' }, '/s')).toEqual({
      kind: 'oci',
      ref: 'oci://r.example/c/app',
    });
    expect(resolveChart({ ...base, chart: '../charts/app' }, '/s/x')).toEqual({
      kind: 'path',
      ref: '/s/charts/app',
    });
    expect(() => resolveChart({ ...base, chart: 'oci://r/app', repo: 'https://c.example' }, '/s')).toThrow(
      UsageError,
    );
    expect(() => resolveChart({ ...base, chart: 'a/b/c', repo: 'https://c.example' }, '/s')).toThrow(
      UsageError,
    );
  });

  it('expands {{version}} in chartVersion and set; an unknown variable is a UsageError naming the field', () => {
    const p = plan({
      chart: 'oci://r/app',
      chartVersion: 'v{{version}}',
      set: { 'image.tag': '{{version}}-alpine' },
    });
    const argv = upgradeCommand(p, '2.1.0');
    expect(argv.slice(argv.indexOf('--version'), argv.indexOf('--version') + 2)).toEqual([
      '--version',
      'v2.1.0',
    ]);
    expect(argv).toContain('image.tag=2.1.0-alpine');
    expect(() => upgradeCommand(plan({ set: { a: '{{nope}}' } }), '1')).toThrow(
      /helm\.set\.a: unknown template variable/,
    );
    expect(repoAddCommand(p)).toBeUndefined();
    expect(() => lintCommand(p, '1')).toThrow(UsageError);
  });

  it('maps product versions through chartVersions when set; a version without an entry is a UsageError', () => {
    const p = plan({
      chart: 'gitlab/gitlab',
      repo: 'https://charts.gitlab.io',
      chartVersion: 'ignored-{{version}}',
      chartVersions: { '18.2.1': '9.2.1', '18.3.0': '9.3.0' },
    });
    expect(chartVersionFor(p, '18.2.1')).toBe('9.2.1');
    const argv = upgradeCommand(p, '18.3.0');
    expect(argv[argv.indexOf('--version') + 1]).toBe('9.3.0');
    let err: unknown;
    try {
      checkChartVersions(p, ['18.2.1', '18.4.0']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(
      'helm.chartVersions has no entry for version 18.4.0 (keys: 18.2.1, 18.3.0)',
    );
    expect((err as UsageError).hint).toContain('"18.4.0": <chart version>');
    // helm ignores --version for a chart on disk: nothing to map.
    expect(() => checkChartVersions(plan({ chartVersions: { '1': '1' } }), ['2'])).not.toThrow();
    expect(chartVersionFor(plan({ chartVersion: 'v{{version}}' }), '3')).toBe('v3');
  });

  it('passes --kube-context to every command that talks to the cluster, and leaves the namespace to its platform', () => {
    const p = helmPlan({
      config: { ...base, chart: 'oci://r/app' },
      scenarioName: 'app',
      scenarioDir: '/s',
      runId: 'r1',
      cellId: 'c1',
      namespace: 'uh-1234abcd',
      createNamespace: false,
      kubeContext: 'staging',
    });
    const context = ['--kube-context', 'staging'];
    for (const argv of [
      upgradeCommand(p, '1'),
      rollbackCommand(p, 2),
      historyCommand(p),
      statusCommand(p),
      uninstallCommand(p),
    ]) {
      const at = argv.indexOf('--kube-context');
      expect(argv.slice(at, at + 2), argv.join(' ')).toEqual(context);
      expect(argv[argv.indexOf('--namespace') + 1]).toBe('uh-1234abcd');
    }
    expect(upgradeCommand(p, '1')).not.toContain('--create-namespace');
    expect(upgradeCommand(plan({}), '1')).toContain('--create-namespace');
    expect(upgradeCommand(plan({}), '1')).not.toContain('--kube-context');
  });

  it('keeps helm state under the given folder', () => {
    const env = helmEnv('/k/config', '/cell/helm');
    expect(env.KUBECONFIG).toBe('/k/config');
    for (const [name, value] of Object.entries(env)) {
      if (name.startsWith('HELM_') && value) expect(value.startsWith('/cell/helm/'), name).toBe(true);
    }
  });
});

describe('helm history and diagnostics', () => {
  it('parses history in revision order and finds the deployed one', () => {
    const history = parseHistory(
      JSON.stringify([
        {
          revision: 3,
          updated: 't3',
          status: 'deployed',
          chart: 'a-1',
          app_version: '1',
          description: 'Rollback to 1',
        },
        {
          revision: 1,
          updated: 't1',
          status: 'superseded',
          chart: 'a-1',
          app_version: '1',
          description: 'Install complete',
        },
        {
          revision: 2,
          updated: 't2',
          status: 'failed',
          chart: 'a-2',
          app_version: '2',
          description: 'Upgrade failed',
        },
      ]),
    );
    expect(history.map((r) => r.revision)).toEqual([1, 2, 3]);
    expect(lastDeployed(history)?.revision).toBe(3);
    expect(lastDeployed(history.slice(0, 2))).toBeUndefined();
    expect(() => parseHistory('Error: release: not found')).toThrow(/no JSON/);
    expect(() => parseHistory('[{"revision":"one"}]')).toThrow(/unexpected shape/);
  });

  it('redacts values under secret-looking keys and passwords in URLs', () => {
    expect(
      redactValues({
        global: { psql: { password: { secret: 'pg-secret', key: 'pw' } } },
        rootPassword: 'x',
        apiToken: 123,
        replicas: 2,
        url: 'postgres://u:pw@db:5432/x',
        tokens: ['a', 'b'],
        emptyPassword: '',
      }),
    ).toEqual({
      global: { psql: { password: { secret: '***', key: '***' } } },
      rootPassword: '***',
      apiToken: '***',
      replicas: 2,
      url: 'postgres://u:***@db:5432/x',
      tokens: ['***', '***'],
      emptyPassword: '',
    });
    expect(
      summarizeStatus({
        name: 'a',
        config: { password: 'x' },
        manifest: 'kind: Secret',
        chart: { metadata: { name: 'a' }, templates: [] },
      }),
    ).toEqual({
      name: 'a',
      chart: { name: 'a' },
    });
  });
});
