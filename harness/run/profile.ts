import { UsageError } from '../common/errors.js';
import type { ScenarioConfig, SqlTrafficConfig } from '../config/types.js';
import type { ClassTraffic, LoadProfile } from '../load/load-driver.js';

/** The scenario's traffic with a named profile's overrides applied; `hops`: upgrades of the cell's path. */
export function loadProfileFor(scenario: ScenarioConfig, profileName: string, hops = 1): LoadProfile {
  const profile = scenario.profiles[profileName];
  if (!profile)
    throw new UsageError(
      `unknown load profile "${profileName}" (known: ${Object.keys(scenario.profiles).join(', ')})`,
    );
  const { traffic, timing } = scenario;
  const writer = traffic.writer
    ? { ...traffic.writer, rate: profile.writerRate ?? traffic.writer.rate }
    : undefined;
  // The load must end by itself even if the harness hangs: bound it by every phase deadline added up
  // (a multi-hop path upgrades and settles once per hop).
  const upgrades = Math.max(1, hops);
  // Each settle-like phase (settle per hop, verify-rollback, verify-data) may take settle + 60 s.
  const verify = timing.settleSeconds + 60;
  const maxDurationMs =
    (timing.baselineSeconds +
      30 +
      upgrades * (timing.upgradeTimeoutSeconds + verify) +
      timing.rollbackTimeoutSeconds +
      2 * verify +
      60) *
    1000;
  const classes: Record<string, ClassTraffic> = {};
  for (const [name, c] of Object.entries(traffic.classes ?? {})) classes[name] = { ...c };
  for (const [name, rate] of Object.entries(profile.classRates ?? {}))
    classes[name] = { ...classes[name], rate };
  return {
    // 0 when every class has a rate of its own (the scenario rules make sure no endpoint is left without one).
    rate: profile.rate ?? traffic.rate ?? 0,
    connections: traffic.connections,
    timeoutMs: traffic.timeoutMs,
    ...(Object.keys(classes).length > 0 ? { classes } : {}),
    maxInFlight: profile.maxInFlight ?? traffic.maxInFlight,
    endpoints: traffic.endpoints,
    versionProbe: scenario.versionProbe,
    maxDurationMs,
    ...(writer ? { writer } : {}),
    ...(traffic.sql ? { sql: sqlWithProfile(traffic.sql, profile.writerRate) } : {}),
  };
}

function sqlWithProfile(sql: SqlTrafficConfig, writerRate: number | undefined): SqlTrafficConfig {
  return sql.writer && writerRate !== undefined
    ? { ...sql, writer: { ...sql.writer, rate: writerRate } }
    : sql;
}
