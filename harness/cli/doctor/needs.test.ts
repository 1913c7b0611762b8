import { describe, expect, it } from 'vitest';
import { checkMatrix, checkReadiness, mergeNeeds } from './needs.js';
import type { DaemonReport, ToolReport, ToolsReport } from './probe-tools.js';
import { TOOL_IDS, type ToolId } from './tools.js';

function report(found: ToolId[], daemon: DaemonReport['status'], broken: ToolId[] = []): ToolsReport {
  const tools: ToolReport[] = TOOL_IDS.map((id) => ({
    id,
    status: found.includes(id) ? 'found' : broken.includes(id) ? 'broken' : 'missing',
    ...(broken.includes(id) ? { problem: 'exited with code 2', path: `/bin/${id}` } : {}),
    usedFor: `for ${id}`,
    install: [`get ${id}`],
  }));
  const dockerDaemon: DaemonReport =
    daemon === 'answering'
      ? { status: daemon, serverVersion: '28.2.2', hint: 'start it' }
      : { status: daemon, problem: 'Cannot connect to the Docker daemon', hint: 'start it' };
  return { tools, dockerDaemon };
}

const cell = (
  id: string,
  platform: 'local' | 'kind' | 'k3d' | 'existing',
  method: 'local' | 'helm' | 'exec',
) => ({
  id,
  platform,
  method,
});

describe('checkMatrix', () => {
  const matrix = {
    file: 'matrices/x.yaml',
    name: 'x',
    cells: [
      cell('a', 'kind', 'helm'),
      cell('b', 'local', 'local'),
      cell('c', 'kind', 'helm'),
      cell('d', 'existing', 'exec'),
      cell('e', 'k3d', 'helm'),
    ],
  };

  it('groups cells by platform and method and says what blocks each group', () => {
    const check = checkMatrix(matrix, report(['node', 'helm', 'docker', 'k3d'], 'not-answering'));
    expect(check.canRun).toBe(false);
    expect(check.blockedCells).toBe(3);
    expect(check.groups.map((g) => [`${g.platform}/${g.method}`, g.cells, g.canRun])).toEqual([
      ['kind/helm', ['a', 'c'], false],
      ['local/local', ['b'], true],
      ['existing/exec', ['d'], true],
      ['k3d/helm', ['e'], false],
    ]);
    const kind = check.groups[0]!;
    expect(kind.needs).toEqual(['kind', 'docker-daemon', 'helm']);
    expect(kind.optionalNeeds).toEqual(['kubectl']);
    expect(kind.problems.map((p) => p.detail)).toEqual([
      'kind missing (install: get kind)',
      'docker daemon not answering (Cannot connect to the Docker daemon)',
      'kubectl missing (install: get kubectl)',
    ]);
    expect(kind.problems.map((p) => p.optional)).toEqual([false, false, true]);
    expect(check.groups[3]!.problems.map((p) => p.summary)).toEqual(['docker daemon not answering']);
  });

  it('lets a matrix run when only optional needs are missing', () => {
    const check = checkMatrix(matrix, report(['node', 'helm', 'docker', 'kind', 'k3d'], 'answering'));
    expect(check.canRun).toBe(true);
    expect(check.blockedCells).toBe(0);
    expect(check.groups[0]!.problems.map((p) => p.summary)).toEqual(['kubectl missing']);
  });

  it('names a broken tool and a missing docker client', () => {
    const check = checkMatrix(matrix, report(['node', 'kind', 'k3d'], 'no-client', ['helm']));
    expect(check.groups[0]!.problems.map((p) => p.detail)).toEqual([
      'docker daemon not answering: docker missing (install: get docker)',
      'helm does not work: exited with code 2 (install: get helm)',
      'kubectl missing (install: get kubectl)',
    ]);
  });
});

describe('needs a scenario adds', () => {
  const cells = [{ id: 'k3d-operator-1-to-2', platform: 'k3d' as const, method: 'operator' as const }];
  const tools = report(['node', 'docker', 'k3d'], 'answering');
  it('the operator from its Helm chart needs helm; from manifests it does not', () => {
    const withChart = checkMatrix(
      { file: 'm.yaml', name: 'm', cells, scenario: { operator: { chart: { chart: 'op/op' } } as never } },
      tools,
    );
    expect(withChart.canRun).toBe(false);
    expect(withChart.groups[0]!.problems.map((p) => p.summary)).toEqual(['helm missing']);
    const withManifests = checkMatrix(
      { file: 'm.yaml', name: 'm', cells, scenario: { operator: undefined } },
      tools,
    );
    expect(withManifests.canRun).toBe(true);
  });
});

describe('needs', () => {
  it('merges needs: each once, required wins over optional', () => {
    expect(mergeNeeds([{ id: 'kubectl', optional: true }, { id: 'kind' }], [{ id: 'kubectl' }])).toEqual([
      { id: 'kubectl' },
      { id: 'kind' },
    ]);
  });

  it('reports every platform, every method and the tests', () => {
    const checks = checkReadiness(report(['node', 'chromium'], 'not-answering'));
    expect(checks.map((c) => `${c.what}: ${c.canRun ? 'ready' : 'blocked'}`)).toEqual([
      'platform local: ready',
      'platform existing: ready',
      'platform kind: blocked',
      'platform k3d: blocked',
      'platform k3s: blocked',
      'method local: ready',
      'method exec: ready',
      'method postgres: ready',
      'method helm: blocked',
      'method operator: ready',
      'tests: blocked',
    ]);
  });
});
