import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError } from '../../common/errors.js';
import type { RequestEvent } from '../../testing/fake-kube/index.js';
import {
  type OperatorFixture,
  type OperatorFixtureInit,
  specVersion,
  startOperatorFixture,
  until,
} from './operator-fixture.js';

/** The Shop is Available at 1.0.0 as soon as it is created (the conditions name no generation). */
const readyAtInstall = (f: OperatorFixture) =>
  f.kube.store.onChange((event) => {
    if (event.type !== 'ADDED' || event.object.kind !== 'Shop') return;
    f.kube.store.patchStatus(f.ref, {
      version: '1.0.0',
      conditions: [{ type: 'Available', status: 'True', reason: 'Running' }],
    });
  });

/** What the operator writes once the upgrade has rolled out. */
const upgraded = { version: '1.1.0', conditions: [{ type: 'Available', status: 'True', reason: 'Running' }] };

describe('waiting for the resource with a watch', () => {
  let f: OperatorFixture | undefined;
  const stops: (() => void)[] = [];

  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await f?.close();
    f = undefined;
  });

  const start = async (init: OperatorFixtureInit = {}) => {
    const fx = await startOperatorFixture(init);
    f = fx;
    stops.push(readyAtInstall(fx));
    return fx;
  };
  const isWatch = (e: RequestEvent) => e.query.watch === 'true';
  const watches = (fx: OperatorFixture, status = 200) =>
    fx.requests('GET', fx.collectionPath, (e) => isWatch(e) && e.status === status).length;
  const lists = (fx: OperatorFixture) => fx.requests('GET', fx.collectionPath, (e) => !isWatch(e)).length;
  const reads = (fx: OperatorFixture) => fx.requests('GET', fx.crPath).length;

  it('reads once, then reacts to the condition flip the watch delivers', async () => {
    const fx = await start({ method: { pollIntervalMs: 20 } });
    const installation = await fx.install();
    const [readsBefore, watchesBefore] = [reads(fx), watches(fx)];
    const upgrade = installation.upgrade('1.1.0', fx.ctx);
    await until(() => watches(fx) > watchesBefore, 'the upgrade wait to open its watch');
    // Long enough that polling every 20 ms would have read the resource some 25 times.
    await new Promise((r) => setTimeout(r, 500));
    fx.kube.store.patchStatus(fx.ref, upgraded);
    await upgrade;
    expect(reads(fx) - readsBefore).toBe(1);
    expect(watches(fx) - watchesBefore).toBe(1);
    const watch = fx.requests('GET', fx.collectionPath, isWatch).at(-1);
    expect(watch?.query).toMatchObject({ fieldSelector: 'metadata.name=shop', allowWatchBookmarks: 'true' });
    expect(Number(watch?.query.resourceVersion)).toBeGreaterThan(0);
    expect(fx.events.filter((e) => /upgrade to 1\.1\.0: ready after/.test(e))).toHaveLength(1);
  });

  it('lists again and re-watches when the watch answers 410 Gone', async () => {
    const fx = await start();
    const installation = await fx.install();
    fx.kube.injectFault({ method: 'GET', path: fx.collectionPath, status: 410, reason: 'Expired', times: 1 });
    const [listsBefore, watchesBefore] = [lists(fx), watches(fx)];
    const upgrade = installation.upgrade('1.1.0', fx.ctx);
    await until(() => watches(fx) > watchesBefore, 'a watch after the 410');
    fx.kube.store.patchStatus(fx.ref, upgraded);
    await upgrade;
    expect(watches(fx, 410)).toBe(1);
    expect(lists(fx) - listsBefore).toBe(1);
    expect(fx.events).toContain('operator: upgrade to 1.1.0: watch expired (410 Gone): listing again');
  });

  it('recovers from an ERROR event with a 410 Status (history compacted since the read)', async () => {
    const fx = await start({ fakeKube: { historyLimit: 2 } });
    const installation = await fx.install();
    // Right as the upgrade's patch lands, three other writes push the Shop's version out of the history.
    let burst = false;
    stops.push(
      fx.kube.store.onChange((event) => {
        if (burst || event.object.kind !== 'Shop' || specVersion(event.object) !== '1.1.0') return;
        burst = true;
        for (const i of [1, 2, 3]) {
          fx.kube.store.put({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `noise-${i}`, namespace: fx.namespace },
          });
        }
      }),
    );
    const [listsBefore, watchesBefore] = [lists(fx), watches(fx)];
    const upgrade = installation.upgrade('1.1.0', fx.ctx);
    await until(
      () => lists(fx) > listsBefore && watches(fx) >= watchesBefore + 2,
      'a list and a second watch',
    );
    fx.kube.store.patchStatus(fx.ref, upgraded);
    await upgrade;
    expect(fx.events).toContain('operator: upgrade to 1.1.0: watch expired (410 Gone): listing again');
  });

  it('re-opens a failing watch with backoff', async () => {
    const fx = await start();
    const installation = await fx.install();
    fx.kube.injectFault({ method: 'GET', path: fx.collectionPath, status: 500, times: 2 });
    const watchesBefore = watches(fx);
    const upgrade = installation.upgrade('1.1.0', fx.ctx);
    await until(() => watches(fx) > watchesBefore, 'a watch after two failures');
    fx.kube.store.patchStatus(fx.ref, upgraded);
    await upgrade;
    const failed = fx.requests('GET', fx.collectionPath, (e) => isWatch(e) && e.status === 500);
    expect(failed).toHaveLength(2);
    const reopened = fx.requests('GET', fx.collectionPath, (e) => isWatch(e) && e.status === 200).at(-1);
    // 200 ms after the first failure, 400 ms after the second.
    expect((reopened?.at ?? 0) - (failed[0]?.at ?? 0)).toBeGreaterThanOrEqual(550);
  });

  it('falls back to reading every pollIntervalMs when watching is forbidden', async () => {
    const fx = await start({ method: { pollIntervalMs: 20 } });
    const installation = await fx.install();
    fx.kube.injectFault({
      method: 'GET',
      path: fx.collectionPath,
      status: 403,
      reason: 'Forbidden',
      times: Infinity,
    });
    const readsBefore = reads(fx);
    const upgrade = installation.upgrade('1.1.0', fx.ctx);
    await until(() => reads(fx) >= readsBefore + 3, 'reads every 20 ms');
    fx.kube.store.patchStatus(fx.ref, upgraded);
    await upgrade;
    expect(watches(fx, 403)).toBe(1);
    expect(
      fx.events.some((e) =>
        /upgrade to 1\.1\.0: the watch is refused \(403.*\); reading every 20 ms/.test(e),
      ),
    ).toBe(true);
  });

  it('stops waiting at once when the run is interrupted', async () => {
    const fx = await start();
    const installation = await fx.install();
    const controller = new AbortController();
    const watchesBefore = watches(fx);
    const upgrade = installation.upgrade('1.1.0', { ...fx.ctx, signal: controller.signal });
    const failure = upgrade.then(
      () => undefined,
      (err: unknown) => err,
    );
    await until(() => watches(fx) > watchesBefore, 'the watch');
    controller.abort();
    expect(await failure).toBeInstanceOf(AbortedError);
  });
});
