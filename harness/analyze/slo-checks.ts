import type {
  CellTimeline,
  Check,
  DowntimeInterval,
  ErrorBudget,
  LatencySummary,
} from '../common/run-record.js';
import type { LatencyLimits, SloConfig } from '../config/types.js';
import type { CellMeasures } from './cell-measures.js';
import { downtimeCheckAgainst } from './checks.js';
import { downtimeSeconds } from './downtime.js';
import { BUDGET_EXHAUSTED_RATIO, consumedRatio } from './error-budget.js';
import { percent, targetPercent } from './format.js';

/**
 * The downtime checks of the upgrade window. A sampler is held against its own limit
 * (`maxDowntimeSecondsPerSampler`), else its class's (`classes.<c>.maxDowntimeSeconds`), else the
 * cell's (`maxDowntimeSeconds`). One check per limit: `downtime` (the worst sampler without a
 * limit of its own, as always), `downtime:<class>` per class limit, `downtime:<sampler>` per
 * sampler limit. Without per-class or per-sampler limits this is exactly the one `downtime` check.
 */
export function downtimeChecks(
  intervals: readonly DowntimeInterval[],
  samplerClasses: Readonly<Record<string, string>>,
  slo: SloConfig,
): Check[] {
  const perSampler = slo.maxDowntimeSecondsPerSampler ?? {};
  const classLimit = (cls: string | undefined): number | undefined =>
    cls === undefined ? undefined : slo.classes?.[cls]?.maxDowntimeSeconds;
  const own = (sampler: string) => Object.hasOwn(perSampler, sampler);
  const byDefault = intervals.filter(
    (i) => !own(i.sampler) && classLimit(samplerClasses[i.sampler]) === undefined,
  );
  const checks = [
    downtimeCheckAgainst('downtime', '', byDefault, downtimeSeconds(byDefault), slo.maxDowntimeSeconds),
  ];
  for (const [cls, c] of Object.entries(slo.classes ?? {})) {
    if (c.maxDowntimeSeconds === undefined) continue;
    const of = intervals.filter((i) => !own(i.sampler) && samplerClasses[i.sampler] === cls);
    checks.push(
      downtimeCheckAgainst(
        `downtime:${cls}`,
        `class ${cls}: `,
        of,
        downtimeSeconds(of),
        c.maxDowntimeSeconds,
      ),
    );
  }
  for (const [sampler, limit] of Object.entries(perSampler)) {
    const of = intervals.filter((i) => i.sampler === sampler);
    checks.push(
      downtimeCheckAgainst(`downtime:${sampler}`, `sampler ${sampler}: `, of, downtimeSeconds(of), limit),
    );
  }
  return checks;
}

/** `error-budget:<class>` for every class with a success ratio: its requests in the upgrade window. */
export function classErrorBudgetChecks(budget: ErrorBudget, slo: SloConfig): Check[] {
  const checks: Check[] = [];
  for (const [cls, c] of Object.entries(slo.classes ?? {})) {
    if (c.successRatio === undefined) continue;
    const { requests, failures } = budget.byEndpointClass[cls] ?? { requests: 0, failures: 0 };
    const allowedFailures = (1 - c.successRatio) * requests;
    const consumed = consumedRatio(failures, allowedFailures);
    const prefix = `class ${cls}: `;
    const allowed = `${allowedFailures.toFixed(1)} allowed at ${targetPercent(c.successRatio)} of ${requests} requests`;
    let message: string;
    if (requests === 0) message = `${prefix}error budget: no requests in the upgrade window`;
    else if (failures === 0) message = `${prefix}error budget 0% consumed: no failures; ${allowed}`;
    else {
      const head =
        consumed === BUDGET_EXHAUSTED_RATIO
          ? 'error budget exhausted'
          : `error budget ${percent(consumed)} consumed`;
      message = `${prefix}${head}: ${failures} failures in the upgrade window; ${allowed}`;
    }
    checks.push({
      name: `error-budget:${cls}`,
      category: 'error-budget',
      passed: consumed <= 1,
      value: consumed,
      limit: 1,
      message,
    });
  }
  return checks;
}

/**
 * Latency SLO checks of the upgrade phase's p99 (requests that started in an upgrade phase):
 * `latency-p99` against an absolute limit, `latency-vs-baseline` against p99VsBaseline × the
 * baseline phase's p99, and the same per class (`…:<class>`, that class's p99s). A limit with
 * nothing to judge (no ok response in upgrade, or in baseline) adds a note instead of a check.
 */
export function latencyChecks(m: CellMeasures, slo: SloConfig, notes: string[]): Check[] {
  const latency = slo.latency;
  if (!latency) return [];
  const checks: Check[] = [];
  judgeLatency(checks, notes, '', '', latency, m.latency.upgrade, m.latency.baseline);
  for (const [cls, limits] of Object.entries(latency.classes ?? {}))
    judgeLatency(
      checks,
      notes,
      `:${cls}`,
      `class ${cls}: `,
      limits,
      m.latencyByClass.upgrade?.[cls],
      m.latencyByClass.baseline?.[cls],
    );
  return checks;
}

function judgeLatency(
  checks: Check[],
  notes: string[],
  suffix: string,
  prefix: string,
  limits: LatencyLimits,
  upgrade: LatencySummary | undefined,
  baseline: LatencySummary | undefined,
): void {
  const has = (l: LatencySummary | undefined): l is LatencySummary => l !== undefined && l.count > 0;
  const who = prefix === '' ? '' : ` of ${prefix.slice(0, -2)}`;
  if (limits.p99Ms !== undefined) {
    if (!has(upgrade))
      notes.push(`no latency-p99${suffix} check: no successful responses${who} during upgrade`);
    else {
      const passed = upgrade.p99Ms <= limits.p99Ms;
      checks.push({
        name: `latency-p99${suffix}`,
        category: 'latency',
        passed,
        value: upgrade.p99Ms,
        limit: limits.p99Ms,
        message: `${prefix}latency p99 ${ms(upgrade.p99Ms)} ms during upgrade ${passed ? '≤' : '>'} ${ms(limits.p99Ms)} ms allowed`,
      });
    }
  }
  if (limits.p99VsBaseline !== undefined) {
    const factor = limits.p99VsBaseline;
    if (!has(upgrade))
      notes.push(`no latency-vs-baseline${suffix} check: no successful responses${who} during upgrade`);
    else if (!has(baseline))
      notes.push(`no latency-vs-baseline${suffix} check: no successful responses${who} during baseline`);
    else {
      const allowed = factor * baseline.p99Ms;
      const passed = upgrade.p99Ms <= allowed;
      checks.push({
        name: `latency-vs-baseline${suffix}`,
        category: 'latency',
        passed,
        value: upgrade.p99Ms,
        limit: allowed,
        message: `${prefix}latency p99 ${ms(upgrade.p99Ms)} ms during upgrade ${passed ? '≤' : '>'} ${times(factor)} × baseline p99 ${ms(baseline.p99Ms)} ms (${ms(allowed)} ms allowed)`,
      });
    }
  }
}

/**
 * The timeline with each bucket's error-budget burn rate: (failed / total) / (1 − successRatio).
 * 0 for a failure-free bucket, BUDGET_EXHAUSTED_RATIO for failures under a 100 % target; an empty
 * bucket has none (nothing was spent or measured).
 */
export function withBurnRates(timeline: CellTimeline, successRatio: number): CellTimeline {
  const allowed = 1 - successRatio;
  return {
    ...timeline,
    buckets: timeline.buckets.map((b) => {
      if (b.total === 0) return b;
      const failedRatio = b.failed / b.total;
      const burnRate = failedRatio === 0 ? 0 : allowed > 0 ? failedRatio / allowed : BUDGET_EXHAUSTED_RATIO;
      return { ...b, burnRate };
    }),
  };
}

/** Milliseconds without noise: 412.3 → `412`, 96 → `96`, 3.217 → `3.22`. */
function ms(v: number): string {
  return v >= 100 ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
}

/** A factor: 2 → `2.0`, 1.5 → `1.5`, 1.25 → `1.25`. */
function times(f: number): string {
  return Number.isInteger(f * 10) ? f.toFixed(1) : String(f);
}
