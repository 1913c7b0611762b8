import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../common/run-record.js';
import { cellIdsHash } from '../run/shard.js';
import { type CliResult, runCli } from '../testing/cli.js';

/**
 * A three-cell matrix run whole, then as three shards merged back: the merged run must equal the
 * whole one. The cells are quick (the `existing` platform and `exec` method against a server this
 * test owns; one passes, one fails as expected, one fails unexpectedly), and run one after another
 * because they share the server.
 */
describe('run --shard, merge-reports and report through the CLI', () => {
  let dir = '';
  let server: Server;
  const env = { ...process.env, CI: 'true' };
  const out = () => join(dir, 'reports');
  const record = async (runId: string) =>
    JSON.parse(await readFile(join(out(), runId, 'run.json'), 'utf8')) as RunRecord;
  const verdicts = (r: RunRecord) =>
    r.cells
      .map((c) => ({
        id: c.id,
        status: c.status,
        matchedExpectation: c.matchedExpectation,
        reason: c.reason,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  const run = (...args: string[]) =>
    runCli(['run', join(dir, 'matrix.yaml'), '--out', out(), '--progress', 'plain', ...args], { env });
  let whole: CliResult;
  const shards: CliResult[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-shard-'));
    await writeFile(join(dir, 'version.txt'), 'none');
    server = createServer((req, res) => {
      const version = readFileSync(join(dir, 'version.txt'), 'utf8').trim();
      req.resume();
      res.writeHead(200, { 'x-app-version': version }).end(version);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await writeFile(
      join(dir, 'scenario.yaml'),
      `apiVersion: upgrade-harness/v1
kind: Scenario
name: shard-target
versions: [1.0.0, 2.0.0, 3.0.0]
versionProbe: { header: x-app-version }
readiness: { path: /readyz }
existing: { urls: ["http://127.0.0.1:${port}"] }
exec:
  install: [[sh, -c, "printf %s {{version}} > version.txt"]]
  upgrade:
    - [sh, -c, "test {{version}} != 3.0.0 || { echo 'migration failed' >&2; exit 1; }"]
    - [sh, -c, "printf %s {{version}} > version.txt"]
  rollback: [[sh, -c, "printf %s {{version}} > version.txt"]]
traffic:
  rate: 20
  connections: [reused]
  endpoints: [{ name: home, class: web, path: / }]
# generous self-check limits: other tests load this machine, and the verdicts must not depend on it
slo: { successRatio: 0.99, maxDowntimeSeconds: 0, minAchievedRateRatio: 0.5, maxScheduleLagP99Ms: 5000 }
timing: { baselineSeconds: 0.5, settleSeconds: 1, readyTimeoutSeconds: 10 }
`,
    );
    await writeFile(
      join(dir, 'matrix.yaml'),
      `apiVersion: upgrade-harness/v1
kind: Matrix
name: shard-test
scenario: scenario.yaml
axes:
  platform: [existing]
  method: [exec]
  path: ["1.0.0 -> 2.0.0", "1.0.0 -> 3.0.0", "2.0.0 -> 3.0.0"]
  rollback: [never]
expect:
  - match: { path: 1.0.0 -> 3.0.0 }
    status: failed
    reason: upgrade-failed
`,
    );
    whole = await run('--run-id', 'whole');
    for (const i of [1, 2, 3]) {
      // shard 1 writes run.json only
      const reporter = i === 1 ? ['--reporter', 'json'] : [];
      shards.push(await run('--shard', `${i}/3`, '--run-id', `shard-${i}`, ...reporter));
    }
  }, 120_000);

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs each cell in exactly one shard and records the shard', async () => {
    const full = await record('whole');
    expect(whole.code, whole.stderr).toBe(1);
    expect(full.exitCode).toBe(1);
    expect(full.shard).toBeUndefined();
    expect(verdicts(full).map((v) => [v.status, v.matchedExpectation, v.reason])).toEqual([
      ['passed', true, undefined],
      ['failed', true, 'upgrade-failed'],
      ['failed', false, 'upgrade-failed'],
    ]);
    expect(full.cells.find((c) => c.status === 'passed')?.requests.total).toBeGreaterThan(10);
    const seen: string[] = [];
    for (const [k, result] of shards.entries()) {
      const r = await record(`shard-${k + 1}`);
      expect(r.shard).toMatchObject({ index: k + 1, count: 3, matrixCells: 3 });
      expect(r.shard?.matrixCellIdsHash).toBe(cellIdsHash(full.cells.map((c) => c.id)));
      expect(r.cells).toHaveLength(1);
      expect(result.code, result.stderr).toBe(r.exitCode);
      expect(result.stdout).toContain(`1 cell(s) to run (shard ${k + 1}/3 of the 3 cell(s))`);
      seen.push(...r.cells.map((c) => c.id));
    }
    expect(seen.sort()).toEqual(full.cells.map((c) => c.id).sort());
    expect((await readdir(join(out(), 'shard-1'))).sort()).toEqual(['cells', 'run.json']);
    expect(await readdir(join(out(), 'shard-2'))).toContain('summary.md');
  });

  it('merges the shards into the run the whole matrix gave', async () => {
    const result = await runCli(
      [
        'merge-reports',
        ...[3, 1, 2].map((i) => join(out(), `shard-${i}`)),
        '--out',
        out(),
        '--run-id',
        'merged',
      ],
      { env },
    );
    // The merge exits as the unsharded run did: one cell failed unexpectedly.
    expect(result.code, result.stderr).toBe(whole.code);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain("3 cell(s), 2 as expected; the run's exit code is 1");
    const merged = await record('merged');
    const full = await record('whole');
    expect(verdicts(merged)).toEqual(verdicts(full));
    expect(merged.exitCode).toBe(full.exitCode);
    expect(merged.exitCode).toBe(whole.code);
    expect(merged.status).toBe('completed');
    expect(merged.mergedFrom?.map((m) => m.shard?.index)).toEqual([1, 2, 3]);
    expect(merged.startedAt).toBe((await record('shard-1')).startedAt);
    expect(merged.endedAt).toBe((await record('shard-3')).endedAt);
    // each cell's folder came along: the exec log its record points to is there
    for (const cell of merged.cells) {
      const log = await readFile(join(out(), 'merged', cell.artifactsDir, 'logs', 'exec.log'), 'utf8');
      expect(log).toContain('printf');
    }
    expect(existsSync(join(out(), 'merged', 'summary.md'))).toBe(true);
    expect(existsSync(join(out(), 'merged', 'junit.xml'))).toBe(true);

    const twice = await runCli(
      ['merge-reports', join(out(), 'shard-1'), join(out(), 'whole'), '--out', out(), '--run-id', 'bad'],
      { env },
    );
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/error: cell \S+ is in two runs: \S+shard-1 and \S+whole/);
    expect(twice.stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses a missing shard or a used --run-id folder (exit 2), and merges a partial run with --allow-partial (exit 3)', async () => {
    const merge = (...args: string[]) =>
      runCli(['merge-reports', join(out(), 'shard-1'), join(out(), 'shard-3'), '--out', out(), ...args], {
        env,
      });
    const refused = await merge('--run-id', 'partial');
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(
      'error: the runs do not make the whole matrix: shard 2/3 missing; the merged run has 2 of the 3 cells',
    );
    expect(refused.stderr).toContain('--allow-partial');
    expect(existsSync(join(out(), 'partial'))).toBe(false);

    const partial = await merge('--run-id', 'partial', '--allow-partial');
    // whatever its cells say (0 or 1), a run that lacks cells exits 3
    expect(partial.code, partial.stderr).toBe(3);
    expect(partial.stderr).toContain('warning: shard 2/3 missing; the merged run has 2 of the 3 cells');
    expect(partial.stdout).toContain(
      "the run's exit code is 3 (partial: not the whole matrix, so at least 3)",
    );
    const merged = await record('partial');
    expect(merged.mergeWarnings).toEqual(['shard 2/3 missing; the merged run has 2 of the 3 cells']);
    expect(merged.exitCode).toBe(3);

    const again = await merge('--run-id', 'partial', '--allow-partial');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${join(out(), 'partial')} already exists and is not empty`);
  });

  it('report regenerates a deleted summary.md as it was, and leaves run.json alone', async () => {
    const runDir = join(out(), 'whole');
    const summary = await readFile(join(runDir, 'summary.md'), 'utf8');
    const runJson = await readFile(join(runDir, 'run.json'), 'utf8');
    await rm(join(runDir, 'summary.md'));
    const result = await runCli(['report', runDir], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(join(runDir, 'summary.md'));
    expect(result.stdout).not.toContain('run.json\n');
    expect(await readFile(join(runDir, 'summary.md'), 'utf8')).toBe(summary);
    expect(await readFile(join(runDir, 'run.json'), 'utf8')).toBe(runJson);
  });
});
