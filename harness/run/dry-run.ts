import type { PlannedSteps } from '../common/planned-steps.js';
import { redact } from '../common/redact.js';
import type { CellPlan, ScenarioConfig, StrategyOptions } from '../config/types.js';
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

function stepLines(planned: PlannedSteps | undefined, fallback: string): string[] {
  if (!planned) return [`    ${fallback}`];
  const lines: string[] = [];
  const env = Object.entries(planned.env ?? {});
  if (env.length > 0) lines.push(`    env: ${env.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const step of planned.steps) {
    const what = step.argv ? `$ ${formatArgv(step.argv)}` : step.api ? `API ${step.api}` : (step.note ?? '');
    lines.push(`    ${step.phase.padEnd(9)} ${what}`);
  }
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
    lines.push(`  method ${cell.method}: ${cell.path.from} → ${cell.path.to}, rollback ${cell.rollback}`);
    lines.push(
      ...stepLines(
        method.plan?.({ ...options, strategyOptions: input.strategyOptions }, input.runId),
        `starts ${cell.path.from}, rolls out ${cell.path.to} (${cell.strategy}); see the scenario's ${cell.method} section`,
      ),
    );
    const traffic = profile.sql
      ? `${profile.sql.statements.length} SQL statement(s)`
      : `${profile.endpoints.length} endpoint(s)`;
    lines.push(
      `  load: ${scenario.traffic.sql ? 'sql' : 'builtin'} driver, ${profile.rate} req/s per connection mode (${profile.connections.join(', ')}), ${traffic}, timeout ${profile.timeoutMs} ms${profile.writer || profile.sql?.writer ? ', with a data-integrity writer' : ''}`,
    );
    const t = scenario.timing;
    lines.push(
      `  phases: baseline ${t.baselineSeconds} s, upgrade ≤ ${t.upgradeTimeoutSeconds} s, settle ${t.settleSeconds} s${cell.rollback === 'never' ? '' : `, rollback ≤ ${t.rollbackTimeoutSeconds} s (${cell.rollback})`}`,
    );
    lines.push('');
  }
  return lines.map((l) => redact(l));
}
