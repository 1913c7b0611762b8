import type { PhaseName, PhaseRecord } from '../common/sample.js';

/** The phase a moment belongs to: the last recorded phase with startedAt <= t < endedAt. */
export function phaseAt(phases: readonly PhaseRecord[], t: number): PhaseRecord | undefined {
  let found: PhaseRecord | undefined;
  for (const p of phases) if (p.startedAt <= t && t < p.endedAt) found = p;
  return found;
}

/** From the first start to the last end of all phases with this name (hops repeat a phase), or null. */
export function phaseSpan(
  phases: readonly PhaseRecord[],
  name: PhaseName,
): { start: number; end: number } | null {
  const named = phases.filter((p) => p.name === name);
  if (named.length === 0) return null;
  return {
    start: Math.min(...named.map((p) => p.startedAt)),
    end: Math.max(...named.map((p) => p.endedAt)),
  };
}

/** Whether t lies inside any phase with this name. */
export function inPhase(phases: readonly PhaseRecord[], name: PhaseName, t: number): boolean {
  return phases.some((p) => p.name === name && p.startedAt <= t && t < p.endedAt);
}

/**
 * The upgrade window of the error budget: upgrade start → settle end. Without a settle phase (the
 * upgrade failed, or the run stopped) it ends with the last upgrade phase. Null without an upgrade.
 */
export function upgradeWindow(phases: readonly PhaseRecord[]): { start: number; end: number } | null {
  const upgrade = phaseSpan(phases, 'upgrade');
  if (!upgrade) return null;
  const settle = phaseSpan(phases, 'settle');
  return { start: upgrade.start, end: Math.max(upgrade.end, settle?.end ?? upgrade.end) };
}

/**
 * The phases with only the last record named `name` kept. A multi-hop upgrade settles after every
 * hop, and only the settle after the last hop is judged against the target version (the earlier
 * ones serve the stops on the way by design).
 */
/**
 * The phases with only the `n`-th (0-based) record named `name` that ran (skipped ones do not
 * count) kept, or undefined when there is none.
 */
export function withNthOnly(
  phases: readonly PhaseRecord[],
  name: PhaseName,
  n: number,
): PhaseRecord[] | undefined {
  const indexes = phases.flatMap((p, i) => (p.name === name && p.status !== 'skipped' ? [i] : []));
  const keep = indexes[n];
  if (keep === undefined) return undefined;
  return phases.filter((p, i) => p.name !== name || i === keep);
}

export function withLastOnly(phases: readonly PhaseRecord[], name: PhaseName): PhaseRecord[] {
  const last = phases.findLastIndex((p) => p.name === name);
  return phases.filter((p, i) => p.name !== name || i === last);
}

/**
 * For each stop of a multi-hop path (`via`) whose settle ran, `measure` over the phases with only
 * that hop's settle kept: the i-th settle follows the hop to the i-th stop.
 */
export function stopsOf<T>(
  ctx: { phases: readonly PhaseRecord[]; via?: readonly string[] },
  measure: (phases: PhaseRecord[], stop: string) => T,
): Array<{ stop: string; hop: number; versions: T }> {
  return (ctx.via ?? []).flatMap((stop, i) => {
    const only = withNthOnly(ctx.phases, 'settle', i);
    return only ? [{ stop, hop: i + 1, versions: measure(only, stop) }] : [];
  });
}
