import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InfraError, UsageError } from '../../common/errors.js';
import {
  fakeOperator,
  imageOf,
  OPERATOR_YAML,
  type OperatorFixture,
  type OperatorFixtureInit,
  startOperatorFixture,
} from './operator-fixture.js';
import { operatorVersionFor } from './operator-resources.js';

const OPERATOR_OF: Record<string, string> = { '1.0.0': '0.9.0', '1.1.0': '0.10.0' };
const IMAGE = 'example.com/shop-operator';
const statusVersion = (fx: OperatorFixture) =>
  (fx.kube.store.get(fx.ref)?.status as { version?: string } | undefined)?.version;

describe('operator versions', () => {
  it('come from the map when it has entries, else from the template; a missing entry is a UsageError', () => {
    expect(operatorVersionFor({ operatorVersion: '{{version}}', operatorVersions: {} }, '1.0.0')).toBe(
      '1.0.0',
    );
    expect(operatorVersionFor({ operatorVersion: 'v{{version}}-op', operatorVersions: {} }, '1.0.0')).toBe(
      'v1.0.0-op',
    );
    const map = { operatorVersion: 'v{{version}}', operatorVersions: OPERATOR_OF };
    expect(operatorVersionFor(map, '1.1.0')).toBe('0.10.0');
    const err = (() => {
      try {
        operatorVersionFor(map, '2.0.0');
      } catch (e) {
        return e as UsageError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err?.message).toBe('operator.operatorVersions has no entry for version 2.0.0 (has: 1.0.0, 1.1.0)');
    expect(err?.hint).toMatch(/add "2\.0\.0: <operator version>"/);
    expect(() => operatorVersionFor({ operatorVersion: '{{nope}}', operatorVersions: {} }, '1')).toThrow(
      /operator\.operatorVersion: unknown template variable \{\{nope\}\}/,
    );
  });
});

describe('the operator itself on the fake Kubernetes API', () => {
  let f: OperatorFixture | undefined;
  const servers: Server[] = [];
  const stops: (() => void)[] = [];

  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await f?.close();
    f = undefined;
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const start = async (init: OperatorFixtureInit = {}) => {
    f = await startOperatorFixture({ fakeKube: { deploymentController: { stepMs: 5 } }, ...init });
    return f;
  };
  const deploymentRef = (fx: OperatorFixture) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: fx.namespace,
    name: 'shop-operator',
  });
  const deploymentPath = (fx: OperatorFixture) =>
    `/apis/apps/v1/namespaces/${fx.namespace}/deployments/shop-operator`;
  /** `operator <image tag>` and `resource <spec.version>` for each write the method sent after `from`. */
  const writes = (fx: OperatorFixture, from: number) =>
    fx.kube
      .events()
      .filter((e) => e.method === 'PATCH')
      .slice(from)
      .flatMap((e) => {
        if (e.path === deploymentPath(fx)) {
          const body = e.body as {
            spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } };
          };
          return [`operator ${body.spec?.template?.spec?.containers?.[0]?.image?.split(':').at(-1)}`];
        }
        if (e.path === fx.crPath)
          return [`resource ${(e.body as { spec?: { version?: string } }).spec?.version}`];
        return [];
      });
  const patchCount = (fx: OperatorFixture) => fx.kube.events().filter((e) => e.method === 'PATCH').length;

  it('upgrade: operator re-applies the manifests at the new operator version and waits for ready', async () => {
    const fx = await start();
    stops.push(fakeOperator(fx, (tag) => Object.entries(OPERATOR_OF).find(([, op]) => op === tag)?.[0]));
    const installation = await fx.install({ upgrade: 'operator', operatorVersions: OPERATOR_OF });
    expect(imageOf(fx.kube.store.get(deploymentRef(fx)))).toBe(`${IMAGE}:0.9.0`);
    expect(installation.operatorVersion).toBe('0.9.0');
    expect(installation.workload).toMatchObject({ namespace: fx.namespace });
    // The custom resource goes to the Kubernetes diagnostics.
    expect(installation.workload.resources?.map((r) => `${r.kind}/${r.name}`)).toEqual([
      `${fx.ref.kind}/${fx.ref.name}`,
    ]);

    const before = patchCount(fx);
    const upgradeEvents = fx.since();
    await installation.upgrade('1.1.0', fx.ctx);
    expect(imageOf(fx.kube.store.get(deploymentRef(fx)))).toBe(`${IMAGE}:0.10.0`);
    expect(fx.kube.rollouts().map((r) => r.toImage)).toEqual([`${IMAGE}:0.9.0`, `${IMAGE}:0.10.0`]);
    // The resource is not touched: the operator moves the product.
    expect(writes(fx, before)).toEqual(['operator 0.10.0']);
    expect(fx.kube.store.get(fx.ref)?.spec).toMatchObject({ version: '1.0.0' });
    const seen = upgradeEvents();
    const applied = seen.indexOf('operator: upgrade: operator 0.10.0 applied (3 objects from its manifests)');
    const ready = seen.findIndex((e) => /^operator: upgrade to 1\.1\.0: ready after \d+ ms$/.test(e));
    expect(seen[0]).toBe('operator: upgrade: operator 0.9.0 → 0.10.0');
    expect(applied).toBeGreaterThan(0);
    expect(ready).toBeGreaterThan(applied);

    await installation.rollback('1.0.0', fx.ctx);
    expect(imageOf(fx.kube.store.get(deploymentRef(fx)))).toBe(`${IMAGE}:0.9.0`);
    expect(statusVersion(fx)).toBe('1.0.0');
    expect(installation.operatorVersion).toBe('0.9.0');
  });

  it('upgrade: both moves the operator first, then the field; a rollback undoes them in the opposite order', async () => {
    const fx = await start();
    // 0.9.0 runs only 1.0.0; 0.10.0 runs whatever the resource asks for.
    stops.push(fakeOperator(fx, (tag, spec) => (tag === '0.10.0' || spec === '1.0.0' ? spec : undefined)));
    const installation = await fx.install({ upgrade: 'both', operatorVersions: OPERATOR_OF });
    const before = patchCount(fx);
    await installation.upgrade('1.1.0', fx.ctx);
    expect(writes(fx, before)).toEqual(['operator 0.10.0', 'resource 1.1.0']);
    expect(statusVersion(fx)).toBe('1.1.0');

    const beforeRollback = patchCount(fx);
    const rollbackEvents = fx.since();
    await installation.rollback('1.0.0', fx.ctx);
    expect(writes(fx, beforeRollback)).toEqual(['resource 1.0.0', 'operator 0.9.0']);
    const steps = rollbackEvents().filter((e) => /rollback: (patched|operator)|ready after/.test(e));
    expect(steps).toEqual([
      expect.stringMatching(/^operator: rollback: patched .* spec\.version=1\.0\.0$/),
      'operator: rollback: operator 0.10.0 → 0.9.0',
      'operator: rollback: operator 0.9.0 applied (3 objects from its manifests)',
      expect.stringMatching(/^operator: rollback to 1\.0\.0: ready after \d+ ms$/),
    ]);
    expect(imageOf(fx.kube.store.get(deploymentRef(fx)))).toBe(`${IMAGE}:0.9.0`);
  });

  it('writes versionValues into the version field and waits for that value (GitLab: chart versions)', async () => {
    const fx = await start();
    const VALUE_OF = { '1.0.0': '9.0.4', '1.1.0': '9.1.2' };
    // The operator reports what the resource asks for, in the resource's numbering.
    stops.push(fakeOperator(fx, (_tag, spec) => spec));
    const installation = await fx.install({ versionValues: VALUE_OF });
    expect(fx.kube.store.get(fx.ref)?.spec).toMatchObject({ version: '9.0.4' });
    expect(statusVersion(fx)).toBe('9.0.4');
    const before = patchCount(fx);
    await installation.upgrade('1.1.0', fx.ctx);
    expect(writes(fx, before)).toEqual(['resource 9.1.2']);
    expect(statusVersion(fx)).toBe('9.1.2');
    await installation.rollback('1.0.0', fx.ctx);
    expect(statusVersion(fx)).toBe('9.0.4');
    const missing = await fx.install({ versionValues: { '1.0.0': '9.0.4' } }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing?.message).toMatch(/operator\.versionValues has no entry for version 1\.1\.0/);
  });

  it('refuses an operator version missing from the map before calling the API', async () => {
    const fx = await start({ to: '1.2.0' });
    const err = await fx.install({ upgrade: 'operator', operatorVersions: OPERATOR_OF }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err?.message).toMatch(/no entry for version 1\.2\.0 \(has: 1\.0\.0, 1\.1\.0\)/);
    expect(fx.kube.events().filter((e) => e.method !== 'GET')).toEqual([]);
  });

  it('installs the operator from URLs (fetched once per version) and puts its Deployment in the diagnostics', async () => {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      const m = /^\/releases\/([\w.]+)\/operator\.yaml$/.exec(req.url ?? '');
      if (!m) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.end(OPERATOR_YAML.replaceAll('{{operatorVersion}}', m[1] ?? ''));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fx = await start();
    stops.push(fakeOperator(fx, (tag) => Object.entries(OPERATOR_OF).find(([, op]) => op === tag)?.[0]));
    const installation = await fx.install({
      manifests: [`${base}/releases/{{operatorVersion}}/operator.yaml`],
      upgrade: 'operator',
      operatorVersions: OPERATOR_OF,
    });
    const config = fx.kube.store.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: fx.namespace,
      name: 'shop-operator',
    });
    expect(config?.data).toEqual({ image: 'shop-operator:1.0.0' });
    await installation.upgrade('1.1.0', fx.ctx);
    await installation.rollback('1.0.0', fx.ctx);
    expect(hits).toEqual(['/releases/0.9.0/operator.yaml', '/releases/0.10.0/operator.yaml']);
    expect(imageOf(fx.kube.store.get(deploymentRef(fx)))).toBe(`${IMAGE}:0.9.0`);

    await installation.collectDiagnostics(join(fx.dir, 'diag'));
    const diag = JSON.parse(await readFile(join(fx.dir, 'diag', 'operator-resource.json'), 'utf8')) as {
      operator: { version: string; deployments: Array<{ name: string; images: string[]; status: unknown }> };
    };
    expect(diag.operator.version).toBe('0.9.0');
    expect(diag.operator.deployments).toEqual([
      expect.objectContaining({ name: 'shop-operator', images: [`manager=${IMAGE}:0.9.0`] }),
    ]);
    expect(diag.operator.deployments[0]?.status).toMatchObject({ replicas: expect.any(Number) });
  });

  it('fails the install on a manifest URL that answers 404, naming it, before anything is applied', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(404);
      res.end('no such release');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fx = await start();
    const err = await fx
      .install({ manifests: [`${base}/releases/{{operatorVersion}}/operator.yaml?token=abc`] })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err).toBeInstanceOf(InfraError);
    expect(err?.message).toBe(
      `fetching operator manifest ${base}/releases/1.0.0/operator.yaml?token=*** failed: HTTP 404`,
    );
    expect(fx.kube.events().filter((e) => e.method !== 'GET')).toEqual([]);
  });
});
