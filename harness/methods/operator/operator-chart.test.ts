import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProductError } from '../../common/errors.js';
import { installFakeHelm } from '../helm/fake-helm.js';
import { available, type OperatorFixture, specVersion, startOperatorFixture } from './operator-fixture.js';

const OPERATOR_OF: Record<string, string> = { '1.0.0': '0.9.0', '1.1.0': '0.10.0' };

describe('an operator installed from its chart with helm', () => {
  let f: OperatorFixture | undefined;

  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  const chartOperator = {
    manifests: [],
    chart: {
      chart: 'shop/shop-operator',
      repo: 'https://charts.example.com',
      set: { 'image.tag': '{{operatorVersion}}', watchVersion: '{{version}}' },
    },
    namespace: 'shop-system',
    operatorVersions: OPERATOR_OF,
    upgrade: 'both',
  };

  it('runs helm upgrade --install at each operator version with the kube context, and uninstalls at teardown', async () => {
    const fx = await startOperatorFixture({ context: 'fake-kube' });
    f = fx;
    const helm = await installFakeHelm(join(fx.dir, 'bin'));
    fx.kube.scriptConditions({
      ref: fx.ref,
      steps: [
        { afterMs: 0, when: (o) => specVersion(o) === '1.0.0', ...available('1.0.0') },
        { afterMs: 0, when: (o) => specVersion(o) === '1.1.0', ...available('1.1.0') },
        { afterMs: 0, when: (o) => specVersion(o) === '1.0.0', ...available('1.0.0') },
      ],
    });
    // What the chart would have made: the operator's Deployment, labelled with the release.
    fx.kube.store.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'shop-operator',
        namespace: 'shop-system',
        labels: { 'app.kubernetes.io/instance': 'operator' },
      },
      spec: {
        replicas: 1,
        template: { spec: { containers: [{ name: 'manager', image: 'shop-operator:0.9.0' }] } },
      },
      status: { replicas: 1, readyReplicas: 1 },
    });
    const installation = await fx.install(chartOperator, {}, { helmPath: helm.path });
    await installation.upgrade('1.1.0', fx.ctx);
    await installation.rollback('1.0.0', fx.ctx);
    await installation.collectDiagnostics(join(fx.dir, 'diag'));
    await installation[Symbol.asyncDispose]();

    const deploy = (operatorVersion: string, version: string) => [
      'upgrade',
      '--install',
      'operator',
      'shop/shop-operator',
      '--version',
      operatorVersion,
      '--namespace',
      'shop-system',
      '--kube-context',
      'fake-kube',
      '--create-namespace',
      '--labels',
      expect.stringContaining('upgrade-harness.run=20250601-120000-cafe'),
      '--set',
      `image.tag=${operatorVersion}`,
      '--set',
      `watchVersion=${version}`,
      '--wait',
      '--timeout',
      '60s',
    ];
    expect(await helm.argvs()).toEqual([
      ['version', '--short'],
      ['repo', 'add', 'shop', 'https://charts.example.com', '--force-update'],
      deploy('0.9.0', '1.0.0'),
      deploy('0.10.0', '1.1.0'),
      deploy('0.9.0', '1.0.0'),
      [
        'uninstall',
        'operator',
        '--namespace',
        'shop-system',
        '--kube-context',
        'fake-kube',
        '--wait',
        '--timeout',
        '45s',
        '--ignore-not-found',
      ],
    ]);
    const calls = await helm.calls();
    expect(calls[2]?.env.KUBECONFIG).toBe(fx.kube.kubeconfigPath);
    expect(calls[2]?.env.HELM_REPOSITORY_CONFIG).toBe(
      join(fx.dir, 'cell', 'operator-helm', 'config', 'repositories.yaml'),
    );
    expect(await helm.release('shop-system', 'operator')).toBeUndefined();
    // The operator moves before the field on the way up, after it on the way back.
    const moves = fx.events.flatMap((e) => {
      const m = /^operator: (\w+): (?:operator (\S+) applied|patched .* spec\.version=(\S+))/.exec(e);
      return m ? [`${m[1]} ${m[2] ? `operator ${m[2]}` : `resource ${m[3]}`}`] : [];
    });
    expect(moves).toEqual([
      'install operator 0.9.0',
      'upgrade operator 0.10.0',
      'upgrade resource 1.1.0',
      'rollback resource 1.0.0',
      'rollback operator 0.9.0',
    ]);

    const diag = JSON.parse(await readFile(join(fx.dir, 'diag', 'operator-resource.json'), 'utf8')) as {
      operator: { chart: { release: string; commands: unknown[] }; deployments: unknown[] };
    };
    expect(diag.operator.chart).toMatchObject({ release: 'operator', namespace: 'shop-system' });
    expect(diag.operator.chart.commands).toHaveLength(5);
    expect(diag.operator.deployments).toEqual([
      expect.objectContaining({
        name: 'shop-operator',
        namespace: 'shop-system',
        images: ['manager=shop-operator:0.9.0'],
      }),
    ]);
  });

  it("fails the install with helm's message as a ProductError, and uninstalls what it tried", async () => {
    const fx = await startOperatorFixture();
    f = fx;
    const helm = await installFakeHelm(join(fx.dir, 'bin'));
    await helm.failWith('install-fail');
    const err = await fx.install(chartOperator, {}, { helmPath: helm.path }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(ProductError);
    expect(err?.message).toMatch(
      /operator chart at 0\.9\.0 failed: Error: INSTALLATION FAILED: context deadline exceeded/,
    );
    const argvs = await helm.argvs();
    expect(argvs.at(-1)?.slice(0, 2)).toEqual(['uninstall', 'operator']);
    expect(argvs.some((a) => a.some((x) => x.startsWith('--kube-context')))).toBe(false);
  });
});
