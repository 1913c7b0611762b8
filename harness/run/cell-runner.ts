import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeFolded, type CellAnalysisInput, CellFold } from '../analyze/index.js';
import { type Clock, sleep } from '../common/clock.js';
import type { RunContext } from '../common/context.js';
import { errorMessage, HarnessError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import { type ProcessLoadMeter, startProcessLoadMeter } from '../common/process-load.js';
import { redactDeep } from '../common/redact.js';
import type { CellRecord, DataIntegrity, KubernetesCellRecord, ProcessLoad } from '../common/run-record.js';
import type { PhaseName, PhaseStatus, TimelineEvent } from '../common/sample.js';
import type { CellPlan, ScenarioConfig, StrategyOptions } from '../config/types.js';
import type { LoadDriver, LoadSummary, RunningLoad } from '../load/load-driver.js';
import { RawSampleWriter } from '../load/raw-samples.js';
import { longestTimeoutMs } from '../load/traffic-plan.js';
import type { Installation, Method } from '../methods/method.js';
import type { Platform, StartedPlatform } from '../platforms/platform.js';
import { hopDetail, hopFailure, hopName, hopsOf } from './hops.js';
import { collectClusterDiagnostics, type KubeCell, startKubeCell } from './kube-cell.js';
import { PhaseRunner } from './phase-runner.js';
import { loadProfileFor } from './profile.js';

export interface CellRunnerDeps {
  runId: string;
  runDir: string;
  scenario: ScenarioConfig;
  scenarioDir: string;
  strategyOptions: StrategyOptions;
  clock: Clock;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  platform: (name: string) => Platform;
  method: (name: string) => Method;
  load: LoadDriver;
  onPhase?: (cellId: string, phase: PhaseName, state: 'started' | PhaseStatus) => void;
  logLevel?: string;
}

type CellError = NonNullable<CellAnalysisInput['error']>;

// Long enough for the slowest step: draining replicas, then PostgreSQL's fast shutdown and its fallbacks.
const TEARDOWN_STEP_MS = 60_000;

/** Runs one cell through every phase of ARCHITECTURE.md and returns its record. Never throws. */
export async function runCell(cell: CellPlan, deps: CellRunnerDeps): Promise<CellRecord> {
  const artifactsDir = join('cells', cell.id);
  const artifactDir = join(deps.runDir, artifactsDir);
  await mkdir(join(artifactDir, 'logs'), { recursive: true });
  await mkdir(join(artifactDir, 'diagnostics'), { recursive: true });
  const logger = createLogger({
    file: join(artifactDir, 'cell.log'),
    level: deps.logLevel ?? 'info',
    bindings: { cell: cell.id },
  });
  const events: TimelineEvent[] = [];
  const event = (kind: string, message: string) => {
    events.push({ at: deps.clock.now(), kind, message });
    logger.info({ kind }, message);
  };
  const ctxFor = (signal: AbortSignal): RunContext => ({
    runId: deps.runId,
    cellId: cell.id,
    signal,
    clock: deps.clock,
    logger,
    artifactDir,
    event,
  });
  const { scenario } = deps;
  // Samples are folded as they arrive (constant memory); phase starts and ends split the fold.
  // Profile names are checked against the scenario when the matrix is loaded.
  const profile = loadProfileFor(scenario, cell.profile, hopsOf(cell.path).length);
  // The fold orders samples within the longest request timeout (a class may have its own).
  const fold = new CellFold({ timeoutMs: longestTimeoutMs(profile) });
  let collecting = true;
  const onPhase = (phase: PhaseName, state: 'started' | PhaseStatus) => {
    try {
      if (collecting && state === 'started') fold.markPhase(phase, deps.clock.now());
      else if (collecting) fold.endPhase(deps.clock.now());
    } catch (err) {
      logger.warn({ phase, err: errorMessage(err) }, 'phase mark not folded');
    }
    deps.onPhase?.(cell.id, phase, state);
  };
  const phases = new PhaseRunner(deps.signal, deps.clock, logger, onPhase);
  const timing = scenario.timing;
  const startedAt = deps.clock.now();

  let error: CellError | undefined;
  const failFrom = (phase: PhaseName, status: PhaseStatus, err: unknown): CellError => ({
    phase,
    message: errorMessage(err),
    kind: status === 'interrupted' ? 'interrupted' : status === 'timedout' ? 'timedout' : 'infra',
  });

  let platform: StartedPlatform | undefined;
  let installation: Installation | undefined;
  // On Kubernetes: the pod observer, and the port-forward the traffic goes through.
  let kube: KubeCell | undefined;
  let load: RunningLoad | undefined;
  let summary: LoadSummary | undefined;
  let meter: ProcessLoadMeter | undefined;
  let processLoad: ProcessLoad | undefined;
  let raw: RawSampleWriter | undefined;
  let pump: Promise<void> = Promise.resolve();
  let upgrade: CellAnalysisInput['upgrade'] = { ok: false, error: 'not attempted' };
  const rollback: CellAnalysisInput['rollback'] = { attempted: false, ok: null, seconds: null };
  const verifications: DataIntegrity[] = [];

  const stopLoad = async () => {
    if (load && !summary) {
      summary = await load.stop();
      processLoad = meter?.stop();
      await pump;
    }
  };
  // Where traffic goes: the port-forward on Kubernetes, else what the installation answers on.
  const baseUrls = () => kube?.endpoints ?? installation?.endpoints ?? [];
  const stopKube = async () => {
    try {
      await kube?.stop();
    } catch (err) {
      // stop() is not meant to throw; if it does, the cell goes on without the pod record's tail.
      logger.warn({ err: errorMessage(err) }, 'kubernetes observation did not stop');
    }
  };
  const hasWriter = profile.writer !== undefined || profile.sql?.writer !== undefined;
  let verifiedKeys = 0;
  const verify = async (signal: AbortSignal) => {
    if (!load || !hasWriter || !installation) return;
    const keys = [...load.acknowledgedKeys()];
    const options = { signal, timeoutMs: scenario.traffic.timeoutMs };
    verifications.push(await deps.load.verifyLedger({ baseUrls: baseUrls() }, profile, keys, options));
    verifiedKeys = keys.length;
  };

  // A failed install: its diagnostics while it still exists (helm uninstall deletes its pods), bounded
  // so the install phase's wind-down is not outlived.
  let installDiagnosed = false;
  const diagnoseFailedInstall = async (half: Installation): Promise<void> => {
    installDiagnosed = true;
    const dir = join(artifactDir, 'diagnostics');
    await Promise.allSettled([
      half.collectDiagnostics(dir),
      collectClusterDiagnostics(platform, half, scenario, dir, logger, 20_000),
    ]);
  };

  // An existing cluster's namespace may take longer to go than a step's usual minute (PVCs, finalizers).
  const deleteSeconds = scenario.existing?.kubernetes?.deleteTimeoutSeconds ?? 0;
  phases.defer(
    'platform',
    async () => platform?.[Symbol.asyncDispose](),
    Math.max(TEARDOWN_STEP_MS, (deleteSeconds + 10) * 1000),
  );
  const provision = await phases.run('provision', timing.provisionTimeoutSeconds * 1000, async (signal) => {
    platform = await deps
      .platform(cell.platform)
      .create({ scenario, scenarioDir: deps.scenarioDir, cell }, ctxFor(signal));
  });
  if (!provision.ok) error = failFrom('provision', provision.status, provision.error);

  if (!error) {
    phases.defer('installation', async () => installation?.[Symbol.asyncDispose]());
    // Deferred after the installation, so it runs before it is disposed (teardowns run in reverse).
    phases.defer('kubernetes', stopKube);
    const install = await phases.run(
      'install',
      timing.installTimeoutSeconds * 1000,
      async (signal) => {
        installation = await deps.method(cell.method).install(
          platform!,
          cell.path.from,
          {
            scenario,
            scenarioDir: deps.scenarioDir,
            cell,
            strategyOptions: deps.strategyOptions,
            beforeDispose: diagnoseFailedInstall,
          },
          ctxFor(signal),
        );
        kube = await startKubeCell({
          platform: platform!,
          installation,
          scenario,
          clock: deps.clock,
          logger,
          signal: deps.signal,
          startSignal: signal,
          event,
          phases: () => phases.phases,
        });
      },
      cell.path.from,
    );
    if (!install.ok) error = failFrom('install', install.status, install.error);
  }

  if (!error && installation) {
    phases.defer('load', stopLoad);
    const baseline = await phases.run('baseline', (timing.baselineSeconds + 30) * 1000, async (signal) => {
      if (scenario.traffic.rawSamples) raw = new RawSampleWriter(join(artifactDir, 'samples.ndjson.gz'));
      load = await deps.load.start({ baseUrls: baseUrls() }, profile, ctxFor(deps.signal));
      meter = startProcessLoadMeter();
      const running = load;
      const rawOut = raw;
      pump = (async () => {
        for await (const sample of running.samples()) {
          // After the analysis began (a load that would not stop), samples are drained, not kept.
          if (!collecting) continue;
          fold.add(sample);
          if (rawOut && !rawOut.write(sample)) await rawOut.drained();
        }
      })();
      await sleep(timing.baselineSeconds * 1000, signal);
    });
    if (!baseline.ok) error = failFrom('baseline', baseline.status, baseline.error);
  }

  if (!error && installation) {
    // A multi-hop path upgrades through each stop in turn, settling after each; the first failure ends it.
    const hops = hopsOf(cell.path);
    for (const hop of hops) {
      if (hops.length > 1) event('hop', hopName(hop));
      const up = await phases.run(
        'upgrade',
        timing.upgradeTimeoutSeconds * 1000,
        (signal) => installation!.upgrade(hop.to, ctxFor(signal)),
        hopDetail(hop),
      );
      if (!up.ok) {
        if (up.status === 'interrupted' || isHarnessFault(up.error)) {
          error = failFrom('upgrade', up.status, up.error);
        } else {
          // The product did not get to the hop's version (never ready, hook failed, deadline passed): a finding.
          upgrade = { ok: false, error: hopFailure(hop, errorMessage(up.error)) };
          phases.skip('settle', 'the upgrade did not complete');
        }
        break;
      }
      if (hop.index === hop.count) upgrade = { ok: true };
      const settle = await phases.run('settle', (timing.settleSeconds + 60) * 1000, async (signal) => {
        await sleep(timing.settleSeconds * 1000, signal);
        await verify(signal);
      });
      if (!settle.ok) {
        error = failFrom('settle', settle.status, settle.error);
        break;
      }
    }
  }

  const wantRollback = cell.rollback === 'always' || (cell.rollback === 'on-failure' && !upgrade.ok);
  if (!error && installation && wantRollback) {
    rollback.attempted = true;
    const back = await phases.run(
      'rollback',
      timing.rollbackTimeoutSeconds * 1000,
      (signal) => installation!.rollback(cell.path.from, ctxFor(signal)),
      `→ ${cell.path.from}`,
    );
    const last = phases.phases.at(-1)!;
    rollback.seconds = (last.endedAt - last.startedAt) / 1000;
    if (back.status === 'interrupted' || (!back.ok && isHarnessFault(back.error))) {
      error = failFrom('rollback', back.status, back.error);
    } else if (!back.ok) {
      rollback.ok = false;
      rollback.error = errorMessage(back.error);
    } else {
      const verifyBack = await phases.run(
        'verify-rollback',
        (timing.settleSeconds + 60) * 1000,
        async (signal) => {
          await sleep(timing.settleSeconds * 1000, signal);
          await verify(signal);
        },
      );
      if (verifyBack.status === 'interrupted')
        error = failFrom('verify-rollback', verifyBack.status, verifyBack.error);
      rollback.ok = verifyBack.ok;
      if (!verifyBack.ok) rollback.error = errorMessage(verifyBack.error);
    }
  } else if (!error && !wantRollback) {
    phases.skip('rollback', cell.rollback === 'never' ? 'rollback policy is never' : 'the upgrade succeeded');
  }

  try {
    await stopLoad();
  } catch (err) {
    error ??= { phase: 'load', message: errorMessage(err), kind: 'infra' };
  }

  // Every acknowledged write is read back at least once, including those after the last check.
  const unchecked = (load?.acknowledgedKeys().length ?? 0) - verifiedKeys;
  if (!error && installation && hasWriter && unchecked > 0) {
    const final = await phases.run('verify-data', (timing.settleSeconds + 60) * 1000, (signal) =>
      verify(signal),
    );
    if (final.status === 'interrupted') error = failFrom('verify-data', final.status, final.error);
  }
  // The pod record covers the measured time (the last read-back went through the port-forward too).
  await stopKube();

  // Diagnostics and teardown run whatever happened, with the run signal ignored: they must finish.
  const never = new AbortController().signal;
  const finalRunner = new PhaseRunner(never, deps.clock, logger, onPhase);
  await finalRunner.run('diagnostics', 60_000, async () => {
    const dir = join(artifactDir, 'diagnostics');
    const results = await Promise.allSettled([
      platform?.collectDiagnostics(dir),
      installation?.collectDiagnostics(dir),
      // After a failed install the cluster was looked at before the installation went.
      installDiagnosed ? undefined : collectClusterDiagnostics(platform, installation, scenario, dir, logger),
    ]);
    for (const r of results)
      if (r.status === 'rejected') logger.warn({ err: errorMessage(r.reason) }, 'diagnostics');
  });
  const torn = await finalRunner.run('teardown', TEARDOWN_STEP_MS * 4 + deleteSeconds * 1000, async () => {
    const problems = await phases.teardown(TEARDOWN_STEP_MS);
    if (problems.length > 0) throw new Error(problems.join('; '));
  });
  phases.phases.push(...finalRunner.phases);
  if (!torn.ok) error ??= { phase: 'teardown', message: errorMessage(torn.error), kind: 'infra' };
  if (deps.signal.aborted && !error) error = { phase: 'run', message: 'interrupted', kind: 'interrupted' };

  collecting = false;
  if (raw) {
    try {
      const written = await raw.close();
      logger.info({ file: written.path, samples: written.samples }, 'raw samples written');
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'raw samples could not be written');
    }
  }
  // Attributed to the final phase list (diagnostics and teardown included).
  const kubernetes: KubernetesCellRecord | undefined = kube?.record(phases.phases);
  const apiErrors = kubernetes?.portForward?.apiErrors ?? 0;
  const analysis = analyzeFolded(fold.finish(), {
    phases: phases.phases,
    slo: scenario.slo,
    from: cell.path.from,
    to: cell.path.to,
    upgrade,
    rollback,
    ledger: mergeLedgers(verifications),
    load: summary ?? emptySummary(startedAt),
    ...(processLoad ? { process: processLoad } : {}),
    expected: cell.expect,
    unversioned: scenario.versionProbe.unversioned ?? 'wrong',
    ...(cell.path.via?.length ? { via: cell.path.via } : {}),
    ...(apiErrors > 0
      ? {
          trafficPathProblem: `port-forward: ${apiErrors} connection(s) reset because the API server failed the tunnel, not the product`,
        }
      : {}),
    error,
  });
  logger.info({ status: analysis.status, reason: analysis.reason }, 'cell finished');
  logger.flush();
  // One choke point: whatever a command, URL or error message carried, no secret reaches a report.
  return redactDeep({
    id: cell.id,
    axes: cell.axes,
    ...(cell.expect ? { expected: cell.expect } : {}),
    startedAt,
    endedAt: deps.clock.now(),
    phases: phases.phases,
    events,
    ...analysis,
    ...(error ? { error: { phase: error.phase, message: error.message } } : {}),
    ...(kubernetes ? { kubernetes } : {}),
    artifactsDir,
  });
}

/** Errors of the harness or its infrastructure, as opposed to the product failing to upgrade. */
function isHarnessFault(err: unknown): boolean {
  return (
    err instanceof HarnessError && (err.code === 'INFRA' || err.code === 'USAGE' || err.code === 'ABORTED')
  );
}

/** A key lost at any verification is lost; the latest verification gives the other counts. */
function mergeLedgers(list: DataIntegrity[]): DataIntegrity | null {
  const last = list.at(-1);
  if (!last) return null;
  const lostKeys = [...new Set(list.flatMap((l) => l.lostKeys))];
  const lost = Math.max(lostKeys.length, ...list.map((l) => l.lost));
  return { ...last, lost, lostKeys: lostKeys.slice(0, 20) };
}

function emptySummary(at: number): LoadSummary {
  return {
    startedAt: at,
    stoppedAt: at,
    targetRate: 0,
    scheduled: 0,
    sent: 0,
    dropped: 0,
    scheduleLagP99Ms: 0,
    acknowledgedKeys: [],
  };
}

export type { Logger };
