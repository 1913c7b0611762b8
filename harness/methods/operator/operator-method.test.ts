import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProductError, UsageError } from '../../common/errors.js';
import type { KubeObject, ObjectRef, RequestEvent } from '../../testing/fake-kube/index.js';
import {
  API,
  available,
  type OperatorFixture,
  RUN_ID,
  specVersion,
  startOperatorFixture,
} from './operator-fixture.js';
import { OperatorMethod } from './operator-method.js';

describe('OperatorMethod on the fake Kubernetes API', () => {
  let f: OperatorFixture;
  let NS: string;
  let CR_PATH: string;
  let ref: ObjectRef;
  let events: string[];
  const install = (operator: Record<string, unknown> = {}) => f.install(operator);
  const requests = (method: string, path: string): RequestEvent[] => f.requests(method, path);

  beforeEach(async () => {
    f = await startOperatorFixture();
    ({ namespace: NS, crPath: CR_PATH, ref, events } = f);
  });

  afterEach(async () => {
    await f.close();
  });

  it('installs with server-side apply, upgrades by a merge patch and waits for the new version', async () => {
    const script = f.kube.scriptConditions({
      ref,
      steps: [
        { afterMs: 0, when: (o) => specVersion(o) === '1.0.0', ...available('1.0.0') },
        {
          afterMs: 0,
          when: (o) => specVersion(o) === '1.1.0',
          conditions: [{ type: 'Progressing', status: 'True', reason: 'Upgrading' }],
        },
        // The old Available=True (observed at generation 1) must not end the wait early.
        { afterMs: 100, ...available('1.1.0') },
      ],
    });
    const installation = await install();
    expect(installation.endpoints).toEqual(['http://127.0.0.1:18080']);

    const ns = f.kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name: NS });
    expect(ns?.metadata.labels).toMatchObject({ 'upgrade-harness.run': RUN_ID });
    const config = f.kube.store.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: NS,
      name: 'shop-operator',
    });
    expect(config?.data).toEqual({ image: 'shop-operator:1.0.0' });
    const applies = requests('PATCH', CR_PATH);
    expect(applies).toHaveLength(1);
    expect(applies[0]?.contentType).toBe('application/apply-patch+yaml');
    expect(applies[0]?.query).toMatchObject({ fieldManager: 'upgrade-harness', force: 'true' });
    expect(specVersion(f.kube.store.get(ref) as KubeObject)).toBe('1.0.0');

    await installation.upgrade('1.1.0', f.ctx);
    const patches = requests('PATCH', CR_PATH);
    expect(patches).toHaveLength(2);
    expect(patches[1]?.contentType).toBe('application/merge-patch+json');
    expect(patches[1]?.body).toMatchObject({ spec: { version: '1.1.0' } });
    const stored = f.kube.store.get(ref) as KubeObject;
    expect(specVersion(stored)).toBe('1.1.0');
    expect((stored.spec as { replicas?: number }).replicas).toBe(2);
    expect((stored.status as { version?: string }).version).toBe('1.1.0');
    expect((await script.done).outcome).toBe('complete');
    expect(events.filter((e) => /^operator: upgrade to 1\.1\.0: ready after \d+ ms$/.test(e))).toHaveLength(
      1,
    );
  });

  it('fails fast when the upgrade goes Degraded, and rolls back to Available', async () => {
    f.kube.scriptConditions({
      ref,
      steps: [
        { afterMs: 0, when: (o) => specVersion(o) === '1.0.0', ...available('1.0.0') },
        {
          afterMs: 0,
          when: (o) => specVersion(o) === '1.1.0',
          conditions: [
            { type: 'Available', status: 'False', reason: 'Upgrading' },
            {
              type: 'Degraded',
              status: 'True',
              reason: 'UpgradeFailed',
              message: 'image shop:1.1.0 not found',
            },
          ],
        },
        // For 200 ms after the rollback patch the stale Degraded=True (observed at generation 2,
        // the object now at 3) is what the method reads: it must not fail the rollback.
        { afterMs: 0, when: (o) => specVersion(o) === '1.0.0', fields: { 'status.phase': 'RollingBack' } },
        { afterMs: 200, ...available('1.0.0') },
      ],
    });
    const installation = await install({ timeoutSeconds: 120 });
    const started = performance.now();
    const failure = await installation.upgrade('1.1.0', f.ctx).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProductError);
    expect((failure as Error).message).toMatch(
      /Degraded=True \(UpgradeFailed: image shop:1\.1\.0 not found\)/,
    );
    expect(performance.now() - started).toBeLessThan(60_000);

    await installation.rollback('1.0.0', f.ctx);
    const patches = requests('PATCH', CR_PATH);
    expect(patches.at(-1)?.contentType).toBe('application/merge-patch+json');
    expect(patches.at(-1)?.body).toMatchObject({ spec: { version: '1.0.0' } });
    const stored = f.kube.store.get(ref) as KubeObject;
    expect(specVersion(stored)).toBe('1.0.0');
    expect(stored.metadata.generation).toBe(3);
    expect((stored.status as { version?: string }).version).toBe('1.0.0');
    expect(events.some((e) => /rollback to 1\.0\.0: no current Available condition/.test(e))).toBe(true);
  });

  it('times out with a ProductError naming what did not hold, and removes what it made', async () => {
    f.kube.scriptConditions({
      ref,
      steps: [
        {
          afterMs: 0,
          conditions: [{ type: 'Available', status: 'False', reason: 'Starting', message: 'waiting for db' }],
        },
      ],
    });
    const failure = await install({ timeoutSeconds: 1 }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProductError);
    const message = (failure as Error).message;
    expect(message).toMatch(/install of 1\.0\.0/);
    expect(message).toMatch(/Available=True \(seen: Available=False \(Starting: waiting for db\)\)/);
    expect(message).toMatch(/status\.version==1\.0\.0 \(seen: status\.version is not set\)/);
    expect(f.kube.store.get(ref)).toBeUndefined();
    expect(f.kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
  });

  it('refuses a malformed expression with a UsageError before calling the API (past the schema too)', async () => {
    for (const ready of [['Available'], ['Available=Yes'], ['status.version=={{nope}}']]) {
      expect(() => f.options({ ready })).toThrow(/is not an expression|unknown template variable/);
      await expect(f.install({}, { ready })).rejects.toBeInstanceOf(UsageError);
    }
    await expect(f.install({}, { failed: ['Degraded True'] })).rejects.toThrow(
      /operator\.failed\[0\] "Degraded True"/,
    );
    expect(f.kube.events().filter((e) => e.method !== 'GET')).toEqual([]);
  });

  it('deletes the resource and its namespace on dispose, once; writes redacted diagnostics', async () => {
    f.kube.scriptConditions({ ref, steps: [{ afterMs: 0, ...available('1.0.0') }] });
    const installation = await install();
    await installation.collectDiagnostics(join(f.dir, 'diag'));
    const text = await readFile(join(f.dir, 'diag', 'operator-resource.json'), 'utf8');
    const diag = JSON.parse(text) as { resource: KubeObject };
    expect(diag.resource.status).toMatchObject({ version: '1.0.0' });
    expect(text).not.toContain('hunter2');

    await installation[Symbol.asyncDispose]();
    expect(f.kube.store.get(ref)).toBeUndefined();
    expect(f.kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
    const deletes = f.kube.events().filter((e) => e.method === 'DELETE').length;
    expect(deletes).toBe(2);
    await installation[Symbol.asyncDispose]();
    expect(f.kube.events().filter((e) => e.method === 'DELETE').length).toBe(deletes);
  });

  it('plans the API calls for run --dry-run', () => {
    const plan = new OperatorMethod().plan(f.options(), RUN_ID);
    const apis = plan.steps.map((s) => `${s.phase} ${s.api ?? s.note}`);
    expect(apis).toEqual([
      `install APPLY v1 Namespace/${NS} (server-side, fieldManager upgrade-harness, force)`,
      'install APPLY v1 ServiceAccount/shop-operator (server-side, fieldManager upgrade-harness, force)',
      'install APPLY v1 ConfigMap/shop-operator (server-side, fieldManager upgrade-harness, force)',
      'install APPLY apps/v1 Deployment/shop-operator (server-side, fieldManager upgrade-harness, force)',
      `install APPLY ${API} Shop/shop spec.version=1.0.0 (server-side, fieldManager upgrade-harness, force)`,
      `install WAIT ready: Available=True, status.version==1.0.0 (GET ${API} Shop/shop, then WATCH it, up to 60 s)`,
      `upgrade PATCH ${API} Shop/shop spec.version=1.1.0 (merge, fieldManager upgrade-harness)`,
      `upgrade WAIT ready: Available=True, status.version==1.1.0 (GET ${API} Shop/shop, then WATCH it, up to 60 s)`,
      `rollback PATCH ${API} Shop/shop spec.version=1.0.0 (merge, fieldManager upgrade-harness)`,
      `rollback WAIT ready: Available=True, status.version==1.0.0 (GET ${API} Shop/shop, then WATCH it, up to 60 s)`,
      `diagnostics GET ${API} Shop/shop → operator-resource.json (redacted)`,
      `teardown DELETE ${API} Shop/shop`,
      `teardown DELETE v1 Namespace/${NS}`,
    ]);
    expect(plan.steps[5]?.note).toBe('fails at once on Degraded=True');
  });
});
