import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ExecError, runCommand } from '../harness/common/exec.js';
import { loadCatalog } from '../harness/config/catalog.js';
import { validateFile } from '../harness/config/load.js';
import type { CatalogConfig, LoadedPlan, ScenarioConfig } from '../harness/config/types.js';
import {
  helmEnv,
  helmPlan,
  lintCommand,
  templateCommand,
  upgradeCommand,
} from '../harness/methods/helm/helm-commands.js';

/**
 * The shipped GitLab catalog, scenarios and matrices: the numbers agree with each other and with
 * GitLab's published rules, and the Helm values render. The real GitLab chart cannot be fetched
 * here (no network), so the values files go through a stand-in chart with the real chart's values
 * surface (scenarios/gitlab/testdata/stand-in-chart) and the real helm 3.18.
 */

const ROOT = join(import.meta.dirname, '..');
const HELM = join(ROOT, '.tools', 'helm', 'helm');
const STAND_IN = join(ROOT, 'scenarios', 'gitlab', 'testdata', 'stand-in-chart');

type Tree = Record<string, unknown>;

const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's values merge: maps merge key by key, anything else is replaced by the later file. */
function mergeValues(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isTree(prev) && isTree(value) ? mergeValues(prev, value) : value;
  }
  return out;
}

const readYamlFile = async (file: string): Promise<Tree> => parse(await readFile(join(ROOT, file), 'utf8'));

async function scenario(file: string): Promise<ScenarioConfig> {
  const v = await validateFile(join(ROOT, file));
  if (v.kind !== 'Scenario') throw new Error(`${file} is not a scenario`);
  return v.scenario;
}

async function plan(file: string): Promise<LoadedPlan> {
  const v = await validateFile(join(ROOT, file));
  if (v.kind !== 'Matrix') throw new Error(`${file} is not a matrix`);
  return v.plan;
}

const minorOf = (v: string) => v.split('.').slice(0, 2).join('.');
const parts = (v: string) => v.split('.').map(Number);

describe('GitLab catalog (matrices/catalogs/gitlab.yaml)', () => {
  let catalog: CatalogConfig;
  beforeAll(async () => {
    catalog = await loadCatalog(join(ROOT, 'matrices', 'catalogs', 'gitlab.yaml'));
  });

  it('lists one release per minor, 17.1 to 18.8, without a gap', () => {
    const minors = catalog.versions.map(minorOf);
    const expected = [
      ...Array.from({ length: 11 }, (_, i) => `17.${i + 1}`),
      ...Array.from({ length: 9 }, (_, i) => `18.${i}`),
    ];
    expect(minors).toEqual(expected);
  });

  it('has the stops GitLab names: 17.1, 17.3, then x.2, x.5, x.8 and x.11 from 17.5 on', () => {
    const rule = catalog.versions.filter((v) => {
      const [major = 0, minor = 0] = parts(v);
      if (major === 17 && minor < 5) return minor === 1 || minor === 3;
      return [2, 5, 8, 11].includes(minor);
    });
    expect(catalog.requiredStops).toEqual(rule);
    // The patch releases docs.gitlab.com/update/upgrade_paths names for the GitLab 17 stops.
    expect(catalog.requiredStops).toEqual(
      expect.arrayContaining(['17.1.8', '17.3.7', '17.5.5', '17.8.7', '17.11.7']),
    );
  });
});

describe('GitLab scenarios', () => {
  let catalog: CatalogConfig;
  let helm: ScenarioConfig;
  let gate: ScenarioConfig;
  beforeAll(async () => {
    catalog = await loadCatalog(join(ROOT, 'matrices', 'catalogs', 'gitlab.yaml'));
    helm = await scenario('scenarios/gitlab-helm.yaml');
    gate = await scenario('scenarios/gitlab-operator.yaml');
  });

  it('know exactly the catalog versions', () => {
    expect(helm.versions).toEqual(catalog.versions);
    expect(gate.versions).toEqual(catalog.versions);
  });

  it('map every version to a chart of the same minor, major - 9 (chart 9.x = GitLab 18.x)', () => {
    const map = helm.helm?.chartVersions ?? {};
    expect(Object.keys(map)).toEqual(helm.versions);
    for (const [gitlab, chart] of Object.entries(map)) {
      const [gMajor = 0, gMinor] = parts(gitlab);
      const [cMajor, cMinor] = parts(chart);
      expect({ gitlab, major: cMajor, minor: cMinor }).toEqual({ gitlab, major: gMajor - 9, minor: gMinor });
    }
  });

  it('differ only in name, description, operator and SLOs (the release gate runs both methods)', () => {
    const shared = (s: ScenarioConfig) => {
      const { name: _n, description: _d, operator: _o, slo: _s, ...rest } = s;
      return rest;
    };
    expect(shared(gate)).toEqual(shared(helm));
    expect(gate.operator).toBeDefined();
    expect(gate.slo.maxDowntimeSeconds).toBe(0);
    expect(gate.slo.successRatio).toBeGreaterThan(helm.slo.successRatio);
  });

  it('send GPT-shaped load: 20 API, 2 web, 2 git requests per second per 1,000 users, over both connection modes', () => {
    const modes = helm.traffic.connections.length;
    for (const [profile, users] of [
      ['1k', 1],
      ['2k', 2],
      ['3k', 3],
    ] as const) {
      const rates = helm.profiles[profile]?.classRates ?? {};
      const total = Object.fromEntries(Object.entries(rates).map(([cls, r]) => [cls, r * modes]));
      expect({ profile, ...total }).toEqual({ profile, api: 20 * users, web: 2 * users, git: 2 * users });
    }
  });

  it('read the version from the header the version-header values add', async () => {
    const overlay = await readYamlFile('scenarios/gitlab/values-version-header.yaml');
    const ws = ((overlay.gitlab as Tree).webservice ?? {}) as Tree;
    const code = Object.values((ws.annotations ?? {}) as Record<string, string>).join('\n');
    const set = /headers\['([^']+)'\]\s*=/.exec(code)?.[1];
    expect(set).toBe(helm.versionProbe.header);
  });

  it('give the operator the same chart values as the helm method (the CR carries them inline)', async () => {
    const cr = await readYamlFile('scenarios/gitlab/gitlab-cr.yaml');
    const files = helm.helm?.values ?? [];
    expect(files.length).toBeGreaterThan(0);
    let merged: Tree = {};
    for (const f of files) merged = mergeValues(merged, await readYamlFile(join('scenarios', f)));
    expect(((cr.spec as Tree).chart as Tree).values).toEqual(merged);
    expect((cr.metadata as Tree).name).toBe(helm.helm?.release);
    expect(gate.operator?.versionField).toBe('spec.chart.version');
  });

  it('write the chart version (not the GitLab version) into spec.chart.version: versionValues = helm.chartVersions', () => {
    expect(gate.operator?.versionValues).toEqual(gate.helm?.chartVersions);
    expect(gate.operator?.versionValues['18.8.4']).toBe('9.8.4');
  });
});

describe('GitLab matrices', () => {
  let catalog: CatalogConfig;
  beforeAll(async () => {
    catalog = await loadCatalog(join(ROOT, 'matrices', 'catalogs', 'gitlab.yaml'));
  });

  it('nightly: kind + helm, n-1 and a multi-hop path through the required stops, two Kubernetes versions', async () => {
    const { cells } = await plan('matrices/gitlab-nightly.yaml');
    const last = catalog.versions.length - 1;
    expect(new Set(cells.map((c) => `${c.platform}/${c.method}`))).toEqual(new Set(['kind/helm']));
    expect(new Set(cells.map((c) => c.custom['kubernetes-version'])).size).toBeGreaterThanOrEqual(2);
    const paths = cells.map((c) => c.path);
    expect(paths).toContainEqual({ from: catalog.versions[last - 1], to: catalog.versions[last] });
    expect(paths).toContainEqual({ from: '17.3.7', to: '18.2.8', via: ['17.5.5', '17.8.7', '17.11.7'] });
  });

  it('release gate: the candidate from n-1 and the last stops, kind/k3d x helm/operator, rollback always', async () => {
    const { cells, scenario: s } = await plan('matrices/gitlab-release-gate.yaml');
    const latest = catalog.versions[catalog.versions.length - 1];
    const starts = new Set([catalog.versions[catalog.versions.length - 2], ...catalog.requiredStops]);
    expect(new Set(cells.map((c) => c.platform))).toEqual(new Set(['kind', 'k3d']));
    expect(new Set(cells.map((c) => c.method))).toEqual(new Set(['helm', 'operator']));
    for (const cell of cells) {
      expect({ id: cell.id, rollback: cell.rollback, to: cell.path.to }).toEqual({
        id: cell.id,
        rollback: 'always',
        to: latest,
      });
      expect(starts.has(cell.path.from)).toBe(true);
      for (const stop of cell.path.via ?? []) expect(catalog.requiredStops).toContain(stop);
    }
    // Every version an operator cell goes through has an operator release mapped.
    const mapped = s.operator?.operatorVersions ?? {};
    for (const cell of cells.filter((c) => c.method === 'operator')) {
      for (const v of [cell.path.from, ...(cell.path.via ?? []), cell.path.to])
        expect(Object.keys(mapped)).toContain(v);
    }
  });
});

describe('GitLab values files against a stand-in chart (the real gitlab/gitlab chart cannot be fetched offline)', () => {
  let dir: string;
  let env: Record<string, string>;
  let gitlab: ScenarioConfig;

  beforeAll(async () => {
    if (!existsSync(HELM)) {
      throw new Error(`no helm binary at ${HELM}: run \`bash scripts/fetch-helm.sh\` (CI's .ci/run does)`);
    }
    dir = await mkdtemp(join(tmpdir(), 'uh-gitlab-values-'));
    env = helmEnv(join(dir, 'no-cluster-kubeconfig'), join(dir, 'helm-state'));
    gitlab = await scenario('scenarios/gitlab-helm.yaml');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The helm method's own plan for the scenario, with the chart swapped for the stand-in. */
  const standInPlan = (values?: string[]) => {
    const config = gitlab.helm;
    if (!config) throw new Error('scenarios/gitlab-helm.yaml has no helm section');
    const { repo: _repo, ...rest } = config;
    return helmPlan({
      config: { ...rest, chart: STAND_IN, ...(values ? { values } : {}) },
      scenarioName: gitlab.name,
      scenarioDir: join(ROOT, 'scenarios'),
      runId: '20261127-120000-beef',
      cellId: 'kind-helm-18.7.4-to-18.8.4',
      helmPath: HELM,
    });
  };

  /** `helm template` of the stand-in with the scenario's values; `get` finds an object or fails. */
  async function render(): Promise<(kind: string, name: string) => Tree> {
    const out = await runCommand(templateCommand(standInPlan(), '18.8.4'), { env, timeoutMs: 60_000 });
    const docs = parseAllDocuments(out.stdout).map((d) => d.toJS() as Tree);
    return (kind, name) => {
      const found = docs.find((d) => d.kind === kind && (d.metadata as Tree).name === name);
      if (!found) throw new Error(`helm template rendered no ${kind} ${name}:\n${out.stdout}`);
      return found;
    };
  }

  it('helm template renders the scenario values: plain HTTP, no ingress, runner, cert-manager; webservice 2, others 1', async () => {
    const get = await render();
    expect(get('ConfigMap', 'gitlab-stand-in-settings').data).toEqual({
      domain: '127.0.0.1.nip.io',
      https: 'false',
      ingress: 'false',
      configureCertmanager: 'false',
      installCertmanager: 'false',
      nginxIngress: 'false',
      prometheus: 'false',
      runner: 'false',
      registry: 'false',
      kas: 'false',
      exporter: 'false',
      usagePing: 'false',
    });
    const ws = get('Deployment', 'gitlab-webservice-default').spec as Tree;
    expect(ws.replicas).toBe(2);
    expect(ws.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect((get('Deployment', 'gitlab-sidekiq').spec as Tree).replicas).toBe(1);
    expect((get('Deployment', 'gitlab-gitlab-shell').spec as Tree).replicas).toBe(1);

    // The scenario's port-forward target is the webservice Service's Workhorse port.
    const service = get('Service', gitlab.kubernetes?.access.service ?? '(no access.service)');
    const ports = ((service.spec as Tree).ports as Tree[]).map((p) => p.port);
    expect(ports).toContain(gitlab.kubernetes?.access.port);
  });

  it('the version header reaches Rails: annotation, downward-API volume and initializer mount agree', async () => {
    const get = await render();
    const pod = (get('Deployment', 'gitlab-webservice-default').spec as Tree).template as Tree;
    const annotations = ((pod.metadata as Tree).annotations ?? {}) as Record<string, string>;
    const [key, code] = Object.entries(annotations)[0] ?? ['', ''];
    expect(code).toContain("headers['x-gitlab-version']");
    expect(code).toContain('Rails.application.config.middleware.insert_before');

    const spec = pod.spec as Tree;
    const volume = (spec.volumes as Tree[]).find((v) => v.downwardAPI) as Tree;
    const item = ((volume.downwardAPI as Tree).items as Tree[])[0] as Tree;
    expect((item.fieldRef as Tree).fieldPath).toBe(`metadata.annotations['${key}']`);
    const mounts = ((spec.containers as Tree[])[0] as Tree).volumeMounts as Tree[];
    const mount = mounts.find((m) => m.name === volume.name) as Tree;
    expect(mount.subPath).toBe(item.path);
    expect(mount.mountPath).toMatch(/^\/srv\/gitlab\/config\/initializers\/zz_[\w]+\.rb$/);
  });

  it('helm lint passes with the values files', async () => {
    const plan = standInPlan();
    const lint = await runCommand(lintCommand(plan, '18.8.4'), { env, timeoutMs: 60_000 });
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('a misspelt key fails against the chart values schema (what the check above would catch)', async () => {
    const bad = join(dir, 'typo.yaml');
    await writeFile(bad, 'installCertmanger: false\ngitlab:\n  webservice:\n    minReplica: 1\n');
    const err = await runCommand(templateCommand(standInPlan([bad]), '18.8.4'), {
      env,
      timeoutMs: 60_000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ExecError);
    const stderr = (err as ExecError).result?.stderr ?? '';
    expect(stderr).toContain('installCertmanger');
    expect(stderr).toContain('minReplica');
  });

  it('the install argv asks charts.gitlab.io for the chart version of the GitLab version', () => {
    const config = gitlab.helm;
    if (!config) throw new Error('no helm section');
    const real = helmPlan({
      config,
      scenarioName: gitlab.name,
      scenarioDir: join(ROOT, 'scenarios'),
      runId: '20261127-120000-beef',
      cellId: 'kind-helm-18.7.4-to-18.8.4',
      helmPath: HELM,
    });
    const argv = upgradeCommand(real, '17.11.7');
    expect(argv.slice(3, 6)).toEqual(['gitlab', 'gitlab/gitlab', '--version']);
    expect(argv[6]).toBe('8.11.8');
  });
});
