import type { PlannedStep, PlannedSteps } from '../common/planned-steps.js';
import { redact } from '../common/redact.js';
import type { CellPlan, ScenarioConfig, StrategyOptions } from '../config/types.js';
import type { LoadProfile } from '../load/load-driver.js';
import { formatHops, usesStrategy } from '../matrix/expand.js';
import { type Hop, hopDetail, hopsOf } from './hops.js';
import { loadProfileFor } from './profile.js';
import type { Registries } from './registries.js';

export interface DryRunInput {
  cells: readonly CellPlan[];
  scenario: ScenarioConfig;
  scenarioDir: string;
  strategyOptions: StrategyOptions;
  registries: Registries;
  /** The run id the commands would carry (labels, names). */
  runId: string;
}

function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./<>{}-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

function envLines(planned: PlannedSteps): string[] {
  const env = Object.entries(planned.env ?? {});
  return env.length > 0 ? [`    env: ${env.map(([k, v]) => `${k}=${v}`).join(' ')}`] : [];
}

function lineOf(step: PlannedStep): string {
  const what = step.argv ? `$ ${formatArgv(step.argv)}` : step.api ? `API ${step.api}` : (step.note ?? '');
  return `    ${step.phase.padEnd(9)} ${what}`;
}

function stepLines(planned: PlannedSteps | undefined, fallback: string): string[] {
  if (!planned) return [`    ${fallback}`];
  return [...envLines(planned), ...planned.steps.map(lineOf)];
}

/**
 * A multi-hop cell's steps: the cell's plan, its upgrade steps replaced by each hop's in order
 * (`upgrade 2/3: 17.5.5 → 17.8.7`, then the steps of the method's plan for a cell of that hop).
 */
function hopLines(
  full: PlannedSteps | undefined,
  hops: readonly Hop[],
  planHop: (hop: Hop) => PlannedSteps | undefined,
  fallback: (hop: Hop) => string,
): string[] {
  const steps = full?.steps ?? [];
  const firstUpgrade = steps.findIndex((step) => step.phase === 'upgrade');
  const cut = firstUpgrade < 0 ? steps.findLastIndex((step) => step.phase === 'install') + 1 : firstUpgrade;
  const others = (from: number, to: number) =>
    steps
      .slice(from, to)
      .filter((step) => step.phase !== 'upgrade')
      .map(lineOf);
  const lines = full ? [...envLines(full), ...others(0, cut)] : [];
  for (const hop of hops) {
    lines.push(`    upgrade ${hop.index}/${hop.count}: ${hopDetail(hop)}`);
    const planned = planHop(hop);
    const upgrade = planned?.steps.filter((step) => step.phase === 'upgrade') ?? [];
    if (upgrade.length > 0) lines.push(...upgrade.map(lineOf));
    else lines.push(`    ${'upgrade'.padEnd(9)} ${fallback(hop)}`);
  }
  lines.push(...others(cut, steps.length));
  return lines;
}

/**
 * What `run` would do for each cell, without doing it: the platform's and the method's exact
 * commands and API calls (from the same builders the run uses), the load, and the phase deadlines.
 * Every line is redacted.
 */
export function describeDryRun(input: DryRunInput): string[] {
  const { scenario, registries } = input;
  const lines: string[] = [];
  for (const cell of input.cells) {
    const platform = registries.platforms.get(cell.platform);
    const method = registries.methods.get(cell.method);
    const profile = loadProfileFor(scenario, cell.profile);
    const options = { scenario, scenarioDir: input.scenarioDir, cell };
    lines.push(`${cell.id}`);
    lines.push(`  platform ${cell.platform}:`);
    lines.push(
      ...stepLines(platform.plan?.(options, input.runId), 'runs on this machine (nothing to create)'),
    );
    const hops = hopsOf(cell.path);
    const strategy = usesStrategy(cell.method) ? ` (${cell.strategy})` : '';
    const planFor = (c: CellPlan) =>
      method.plan?.({ ...options, cell: c, strategyOptions: input.strategyOptions }, input.runId);
    lines.push(
      `  method ${cell.method}: ${formatHops(cell.path)}${hops.length > 1 ? ` (${hops.length} hops)` : ''}, rollback ${cell.rollback}`,
    );
    if (hops.length > 1) {
      lines.push(
        ...hopLines(
          planFor(cell),
          hops,
          (hop) => planFor({ ...cell, path: { from: hop.from, to: hop.to } }),
          (hop) => `rolls out ${hop.to}${strategy}; see the scenario's ${cell.method} section`,
        ),
      );
    } else {
      lines.push(
        ...stepLines(
          planFor(cell),
          `starts ${cell.path.from}, rolls out ${cell.path.to}${strategy}; see the scenario's ${cell.method} section`,
        ),
      );
    }
    const traffic = profile.sql
      ? `${profile.sql.statements.length} SQL statement(s)`
      : `${profile.endpoints.length} endpoint(s)`;
    lines.push(
      `  load: ${scenario.traffic.sql ? 'sql' : 'builtin'} driver, ${rateText(profile)} per connection mode (${profile.connections.join(', ')}), ${traffic}, timeout ${profile.timeoutMs} ms${profile.writer || profile.sql?.writer ? ', with a data-integrity writer' : ''}`,
    );
    const access = scenario.kubernetes?.access;
    if (access && (cell.method === 'helm' || cell.method === 'operator')) {
      lines.push(
        access.mode === 'port-forward'
          ? `  traffic in: port-forward through the API server to ready pods of Service ${access.service}:${access.port} in the cell's namespace (127.0.0.1:<free port>)`
          : `  traffic in: ingress ${access.url ? redact(access.url) : "(no url: the installation's endpoints)"}`,
      );
    }
    const t = scenario.timing;
    lines.push(
      `  phases: baseline ${t.baselineSeconds} s, ${hops.length > 1 ? `per hop (${hops.length}): upgrade ≤ ${t.upgradeTimeoutSeconds} s and settle ${t.settleSeconds} s` : `upgrade ≤ ${t.upgradeTimeoutSeconds} s, settle ${t.settleSeconds} s`}${cell.rollback === 'never' ? '' : `, rollback ≤ ${t.rollbackTimeoutSeconds} s (${cell.rollback})`}`,
    );
    lines.push('');
  }
  return lines.map((l) => redact(l));
}

/** `40 req/s`, or with rates per class: `api 10 + web 1 + git 1 req/s` (and the shared rate when something uses it). */
function rateText(profile: LoadProfile): string {
  const own = Object.entries(profile.classes ?? {}).flatMap(([name, c]) =>
    c.rate === undefined ? [] : [`${name} ${c.rate}`],
  );
  if (own.length === 0) return `${profile.rate} req/s`;
  const shared = profile.rate > 0 ? [`other classes ${profile.rate}`] : [];
  return `${[...own, ...shared].join(' + ')} req/s`;
}
