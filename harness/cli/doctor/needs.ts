/**
 * What each platform and method needs on the machine that runs the harness, and whether a matrix's
 * cells can run here given what probe-tools found.
 */
import { METHOD_NAMES, PLATFORM_NAMES } from '../../config/schema.js';
import type { CellPlan, MethodName, PlatformName, ScenarioConfig } from '../../config/types.js';
import type { ToolsReport } from './probe-tools.js';
import type { ToolId } from './tools.js';

/** A tool, or a docker daemon that answers. */
export type NeedId = ToolId | 'docker-daemon';

export interface Need {
  id: NeedId;
  /** Missing, it is reported but does not stop a cell. */
  optional?: boolean;
}

/** The local platform's PostgreSQL comes bundled (npm packages), so it needs no tool here. */
export const PLATFORM_NEEDS: Readonly<Record<PlatformName, readonly Need[]>> = {
  local: [{ id: 'node' }],
  existing: [],
  kind: [{ id: 'kind' }, { id: 'docker-daemon' }, { id: 'kubectl', optional: true }],
  k3d: [{ id: 'k3d' }, { id: 'docker-daemon' }],
  // testcontainers' K3sContainer: a docker daemon, no CLI
  k3s: [{ id: 'docker-daemon' }],
};

export const METHOD_NEEDS: Readonly<Record<MethodName, readonly Need[]>> = {
  local: [],
  exec: [],
  postgres: [],
  helm: [{ id: 'helm' }],
  // talks to the Kubernetes API itself (client-node); helm only when the scenario installs the
  // operator from its chart (scenarioNeeds)
  operator: [],
};

/** What the test suite needs beyond Node (reported by doctor without a matrix). */
export const TEST_NEEDS: readonly Need[] = [{ id: 'chromium' }, { id: 'unzip' }];

export function needLabel(id: NeedId): string {
  return id === 'docker-daemon' ? 'a docker daemon' : id;
}

/** Each need once, required winning over optional. */
export function mergeNeeds(...lists: ReadonlyArray<readonly Need[]>): Need[] {
  const merged = new Map<NeedId, Need>();
  for (const need of lists.flat()) {
    const seen = merged.get(need.id);
    if (!seen || (seen.optional && !need.optional)) merged.set(need.id, need);
  }
  return [...merged.values()];
}

/** A need that is not met here. */
export interface NeedProblem {
  need: NeedId;
  optional: boolean;
  /** A few words: `kind missing`, `docker daemon not answering`. */
  summary: string;
  /** The summary with the reason and how to fix it. */
  detail: string;
}

function daemonProblem(report: ToolsReport): Omit<NeedProblem, 'optional'> | undefined {
  const daemon = report.dockerDaemon;
  if (daemon.status === 'answering') return undefined;
  const summary = 'docker daemon not answering';
  if (daemon.status === 'no-client') {
    const how = report.tools.find((t) => t.id === 'docker')?.install[0];
    return {
      need: 'docker-daemon',
      summary,
      detail: `${summary}: docker missing${how ? ` (install: ${how})` : ''}`,
    };
  }
  // How to start one is in the tool listing (docker-daemon hint); here the reason is enough.
  const detail = `${summary} (${daemon.problem ?? 'no answer'})`;
  return { need: 'docker-daemon', summary, detail };
}

/** Why a need is not met here, or undefined when it is. */
export function needProblem(need: Need, report: ToolsReport): NeedProblem | undefined {
  const optional = need.optional === true;
  if (need.id === 'docker-daemon') {
    const problem = daemonProblem(report);
    return problem && { ...problem, optional };
  }
  const id = need.id;
  const tool = report.tools.find((t) => t.id === id);
  if (!tool) return { need: id, optional, summary: `${id} not looked for`, detail: `${id} not looked for` };
  if (tool.status === 'found') return undefined;
  const how = tool.install[0] ? ` (install: ${tool.install[0]})` : '';
  if (tool.status === 'missing')
    return { need: id, optional, summary: `${id} missing`, detail: `${id} missing${how}` };
  const summary = `${id} does not work`;
  return {
    need: id,
    optional,
    summary,
    detail: `${summary}: ${tool.problem ?? 'its version command failed'}${how}`,
  };
}

export interface NeedsCheck {
  needs: NeedId[];
  optionalNeeds: NeedId[];
  /** Unmet needs, required and optional; a required one means it cannot run here. */
  problems: NeedProblem[];
  canRun: boolean;
}

export function checkNeeds(needs: readonly Need[], report: ToolsReport): NeedsCheck {
  // Required needs first: they are what stops a cell.
  const ordered = [...needs.filter((n) => !n.optional), ...needs.filter((n) => n.optional)];
  const problems = ordered.flatMap((n) => needProblem(n, report) ?? []);
  return {
    needs: needs.filter((n) => !n.optional).map((n) => n.id),
    optionalNeeds: needs.filter((n) => n.optional).map((n) => n.id),
    problems,
    canRun: problems.every((p) => p.optional),
  };
}

export interface CellGroupCheck extends NeedsCheck {
  platform: PlatformName;
  method: MethodName;
  cells: string[];
}

export interface MatrixCheck {
  file: string;
  name: string;
  cells: number;
  /** Cells that cannot run here. */
  blockedCells: number;
  /** One per platform/method pair of the matrix, in the order the cells first use it. */
  groups: CellGroupCheck[];
  canRun: boolean;
}

/** What a scenario adds to its methods' needs: the operator installed from its Helm chart needs helm. */
export function scenarioNeeds(
  scenario: Pick<ScenarioConfig, 'operator'> | undefined,
  method: MethodName,
): Need[] {
  return method === 'operator' && scenario?.operator?.chart ? [{ id: 'helm' }] : [];
}

export function checkMatrix(
  matrix: {
    file: string;
    name: string;
    cells: readonly Pick<CellPlan, 'id' | 'platform' | 'method'>[];
    scenario?: Pick<ScenarioConfig, 'operator'>;
  },
  report: ToolsReport,
): MatrixCheck {
  const groups = new Map<string, CellGroupCheck>();
  for (const cell of matrix.cells) {
    const key = `${cell.platform}/${cell.method}`;
    let group = groups.get(key);
    if (!group) {
      const needs = mergeNeeds(
        PLATFORM_NEEDS[cell.platform],
        METHOD_NEEDS[cell.method],
        scenarioNeeds(matrix.scenario, cell.method),
      );
      group = { platform: cell.platform, method: cell.method, cells: [], ...checkNeeds(needs, report) };
      groups.set(key, group);
    }
    group.cells.push(cell.id);
  }
  const all = [...groups.values()];
  const blockedCells = all.filter((g) => !g.canRun).reduce((sum, g) => sum + g.cells.length, 0);
  return {
    file: matrix.file,
    name: matrix.name,
    cells: matrix.cells.length,
    blockedCells,
    groups: all,
    canRun: blockedCells === 0,
  };
}

export interface ReadinessCheck extends NeedsCheck {
  /** `platform kind`, `method helm`, `tests`. */
  what: string;
}

/** Every platform and method, and the test suite: can each run here? */
export function checkReadiness(report: ToolsReport): ReadinessCheck[] {
  return [
    ...PLATFORM_NAMES.map((p) => ({ what: `platform ${p}`, ...checkNeeds(PLATFORM_NEEDS[p], report) })),
    ...METHOD_NAMES.map((m) => ({ what: `method ${m}`, ...checkNeeds(METHOD_NEEDS[m], report) })),
    { what: 'tests', ...checkNeeds(TEST_NEEDS, report) },
  ];
}
