import { describe, expect, it } from 'vitest';
import { parseScenario } from '../config/load.js';
import { longestTimeoutMs, trafficGroups } from '../load/traffic-plan.js';
import { loadProfileFor } from './profile.js';

const SCENARIO = `
apiVersion: upgrade-harness/v1
kind: Scenario
name: classes
versions: [1.0.0, 1.1.0]
versionProbe: { header: x-app-version }
local:
  services:
    - { name: web, command: node server.mjs, front: true }
traffic:
  rate: 10
  timeoutMs: 2000
  classes:
    api: { rate: 40 }
    git: { rate: 4, timeoutMs: 30000 }
  connections: [reused, new]
  endpoints:
    - { name: issues, path: /api/issues, class: api, weight: 3 }
    - { name: projects, path: /api/projects, class: api }
    - { name: clone, path: /repo.git/info/refs, class: git }
    - { name: home, path: /, class: web }
profiles:
  default: {}
  10k: { rate: 20, classRates: { api: 400, git: 40 } }
`;

describe('loadProfileFor with endpoint classes', () => {
  const scenario = parseScenario(SCENARIO);

  it('gives each class with a rate its own group and the rest the shared rate', () => {
    const profile = loadProfileFor(scenario, 'default');
    const groups = trafficGroups(profile).map((g) => ({
      className: g.className,
      rate: g.rate,
      endpoints: g.endpoints.map((e) => e.name),
    }));
    expect(groups).toEqual([
      { className: 'api', rate: 40, endpoints: ['issues', 'projects'] },
      { className: 'git', rate: 4, endpoints: ['clone'] },
      { className: null, rate: 10, endpoints: ['home'] },
    ]);
    expect(longestTimeoutMs(profile)).toBe(30_000);
  });

  it("lets a profile replace the shared rate and each class's rate, keeping class timeouts", () => {
    const profile = loadProfileFor(scenario, '10k');
    expect(trafficGroups(profile).map((g) => [g.className, g.rate])).toEqual([
      ['api', 400],
      ['git', 40],
      [null, 20],
    ]);
    expect(profile.classes?.git?.timeoutMs).toBe(30_000);
  });

  it('bounds the load by one upgrade deadline and one settle deadline (settle + 60 s) per hop of a multi-hop path', () => {
    const { settleSeconds, upgradeTimeoutSeconds } = scenario.timing;
    const one = loadProfileFor(scenario, 'default').maxDurationMs;
    expect(loadProfileFor(scenario, 'default', 1).maxDurationMs).toBe(one);
    expect(loadProfileFor(scenario, 'default', 3).maxDurationMs - one).toBe(
      2 * (settleSeconds + 60 + upgradeTimeoutSeconds) * 1000,
    );
  });
});
