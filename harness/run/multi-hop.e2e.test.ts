import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import type { CellRecord } from '../common/run-record.js';
import { parseScenario } from '../config/index.js';
import type { CellPlan, PathConfig, ScenarioConfig } from '../config/types.js';
import { runCell } from './cell-runner.js';
import { defaultRegistries } from './registries.js';

/**
 * A multi-hop path run for real: the exec method on the existing platform against a server the
 * test owns, whose served version the user's commands change. One upgrade and one settle per
 * hop; a failing hop ends the path there.
 */
describe('multi-hop upgrade (existing platform + exec method)', () => {
  let dir: string;
  let server: Server;
  let scenario: ScenarioConfig;
  // Which versions the commands set, in order: what the server really went through.
  const setVersions: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-hops-'));
    await writeFile(join(dir, 'version.txt'), 'none');
    server = createServer((_req, res) => {
      const version = readFileSync(join(dir, 'version.txt'), 'utf8').trim();
      res.writeHead(200, { 'x-app-version': version }).end(version);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    scenario = parseScenario(`apiVersion: upgrade-harness/v1
kind: Scenario
name: hops
versions: [1.0.0, 1.5.0, 1.8.0, 1.9.0, 2.0.0]
versionProbe: { header: x-app-version }
readiness: { path: /readyz }
existing:
  urls: ["${url}"]
exec:
  install: [[sh, -c, "printf %s {{version}} > version.txt; echo {{version}} >> history.txt"]]
  upgrade:
    - [sh, -c, "test {{version}} != 1.9.0 || { echo 'background migrations pending' >&2; exit 1; }"]
    - [sh, -c, "printf %s {{version}} > version.txt; echo {{version}} >> history.txt"]
  rollback: [[sh, -c, "printf %s {{version}} > version.txt; echo {{version}} >> history.txt"]]
traffic:
  rate: 40
  connections: [reused]
  endpoints: [{ name: home, class: web, path: / }]
# a loose load self-check: these tests share two cores with other suites (the status is not the point)
slo: { successRatio: 0.99, maxDowntimeSeconds: 0, maxScheduleLagP99Ms: 5000, minAchievedRateRatio: 0.5 }
timing: { baselineSeconds: 0.5, settleSeconds: 0.5, readyTimeoutSeconds: 5, upgradeTimeoutSeconds: 10 }
`);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  async function run(id: string, path: PathConfig): Promise<CellRecord> {
    const registries = defaultRegistries();
    const cell: CellPlan = {
      id,
      platform: 'existing',
      method: 'exec',
      strategy: 'rolling',
      path,
      rollback: 'on-failure',
      profile: 'default',
      custom: {},
      axes: { platform: 'existing', method: 'exec', from: path.from, to: path.to, rollback: 'on-failure' },
    };
    const record = await runCell(cell, {
      runId: 'hops',
      runDir: join(dir, 'run'),
      scenario,
      scenarioDir: dir,
      strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
      clock: systemClock,
      signal: new AbortController().signal,
      platform: (name) => registries.platforms.get(name),
      method: (name) => registries.methods.get(name),
      load: registries.loadDrivers.get('builtin'),
    });
    setVersions.push(...readFileSync(join(dir, 'history.txt'), 'utf8').trim().split('\n'));
    await rm(join(dir, 'history.txt'));
    return record;
  }

  const named = (c: CellRecord, name: string) => c.phases.filter((p) => p.name === name);

  it('upgrades hop by hop, settling after each, and judges the version on the last settle', async () => {
    const c = await run('through', { from: '1.0.0', via: ['1.5.0', '1.8.0'], to: '2.0.0' });
    expect(setVersions.splice(0)).toEqual(['1.0.0', '1.5.0', '1.8.0', '2.0.0']);
    expect(c.error).toBeUndefined();
    expect(named(c, 'upgrade').map((p) => [p.detail, p.status])).toEqual([
      ['1.0.0 → 1.5.0', 'passed'],
      ['1.5.0 → 1.8.0', 'passed'],
      ['1.8.0 → 2.0.0', 'passed'],
    ]);
    // upgrade, settle, upgrade, settle, upgrade, settle: one settle right after each hop.
    const order = c.phases.map((p) => p.name).filter((n) => n === 'upgrade' || n === 'settle');
    expect(order).toEqual(['upgrade', 'settle', 'upgrade', 'settle', 'upgrade', 'settle']);
    expect(named(c, 'settle').every((p) => p.status === 'passed')).toBe(true);
    expect(c.events.filter((e) => e.kind === 'hop').map((e) => e.message)).toEqual([
      'hop 1/3 1.0.0 → 1.5.0',
      'hop 2/3 1.5.0 → 1.8.0',
      'hop 3/3 1.8.0 → 2.0.0',
    ]);
    // Every stop served traffic; the version check looked at the last settle only.
    for (const v of ['1.0.0', '1.5.0', '1.8.0', '2.0.0'])
      expect(c.versions.servedBy[v], v).toBeGreaterThan(0);
    const version = c.checks.find((k) => k.name === 'version');
    expect(version).toMatchObject({ passed: true });
    expect(version?.message).toMatch(/^settle: \d+ of \d+ responses from 2\.0\.0$/);
    expect(c.status, c.reason).toBe('passed');
    expect(c.rollback.attempted).toBe(false);
    // The error budget's window runs from the first hop's start to the last settle's end.
    expect(c.errorBudget.windowStart).toBe(named(c, 'upgrade')[0]!.startedAt);
    expect(c.errorBudget.windowEnd).toBe(named(c, 'settle').at(-1)!.endedAt);
  }, 20_000);

  it('stops at the first failing hop, names it, and rolls back to the start', async () => {
    const c = await run('stuck', { from: '1.0.0', via: ['1.5.0', '1.9.0'], to: '2.0.0' });
    // Hop 3 was never attempted: 2.0.0 was never set; the rollback went back to 1.0.0.
    expect(setVersions.splice(0)).toEqual(['1.0.0', '1.5.0', '1.0.0']);
    expect(named(c, 'upgrade').map((p) => [p.detail, p.status])).toEqual([
      ['1.0.0 → 1.5.0', 'passed'],
      ['1.5.0 → 1.9.0', 'failed'],
    ]);
    expect(named(c, 'settle').map((p) => p.status)).toEqual(['passed', 'skipped']);
    expect(c.events.filter((e) => e.kind === 'hop').map((e) => e.message)).toEqual([
      'hop 1/3 1.0.0 → 1.5.0',
      'hop 2/3 1.5.0 → 1.9.0',
    ]);
    expect(c.status).toBe('failed');
    expect(c.reason).toBe('upgrade-failed');
    const upgrade = c.checks.find((k) => k.name === 'upgrade');
    expect(upgrade?.passed).toBe(false);
    expect(upgrade?.message).toContain('hop 2/3 1.5.0 → 1.9.0: upgrade to 1.9.0 failed');
    expect(upgrade?.message).toContain('background migrations pending');
    expect(named(c, 'rollback').map((p) => p.detail)).toEqual(['→ 1.0.0']);
    expect(c.rollback).toMatchObject({ attempted: true, succeeded: true });
    expect(c.checks.some((k) => k.name === 'version')).toBe(false);
  }, 20_000);
});
