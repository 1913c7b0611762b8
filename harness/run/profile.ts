import { UsageError } from '../common/errors.js';
import type { ScenarioConfig } from '../config/types.js';
import type { LoadProfile } from '../load/load-driver.js';

/** The scenario's traffic with a named profile's overrides applied. */
export function loadProfileFor(scenario: ScenarioConfig, profileName: string): LoadProfile {
  const profile = scenario.profiles[profileName];
  if (!profile)
    throw new UsageError(
      `unknown load profile "${profileName}" (known: ${Object.keys(scenario.profiles).join(', ')})`,
    );
  const { traffic, timing } = scenario;
  const writer = traffic.writer
    ? { ...traffic.writer, rate: profile.writerRate ?? traffic.writer.rate }
    : undefined;
  // The load must end by itself even if the harness hangs: bound it by every phase deadline added up.
  const maxDurationMs =
    (timing.baselineSeconds +
      2 * timing.settleSeconds +
      timing.upgradeTimeoutSeconds +
      timing.rollbackTimeoutSeconds +
      180) *
    1000;
  return {
    rate: profile.rate ?? traffic.rate,
    connections: traffic.connections,
    timeoutMs: traffic.timeoutMs,
    maxInFlight: profile.maxInFlight ?? traffic.maxInFlight,
    endpoints: traffic.endpoints,
    versionProbe: scenario.versionProbe,
    maxDurationMs,
    ...(writer ? { writer } : {}),
  };
}
