import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepResult, TestResult } from 'allure-js-commons';
import type { Category } from 'allure-js-commons/sdk';
import { parseEnvInfo } from 'allure-js-commons/sdk/reporter';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CellRecord, RunRecord } from '../../common/run-record.js';
import {
  buildRunRecord,
  cellStart,
  erroredCell,
  inconclusiveCell,
  lostWritesCell,
  passedCell,
  realisticRunRecord,
  unexpectedPassCell,
} from '../../testing/run-record-builder.js';
import type { CellChartRenderer } from '../reporter.js';
import { ALLURE_RESULTS_DIR, AllureReporter } from './allure-reporter.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allure-reporter-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const charts: CellChartRenderer = (cell) => [
  { name: 'rate-by-outcome', title: 'Request rate by outcome', svg: `<svg id="rate">${cell.id}</svg>` },
  { name: 'latency', title: 'Latency p50/p99', svg: `<svg id="latency">${cell.id}</svg>` },
];

interface Written {
  files: string[];
  results: TestResult[];
  resultsDir: string;
}

async function writeAllure(record: RunRecord, reporter = new AllureReporter({ charts })): Promise<Written> {
  const files = await reporter.write(record, dir);
  const resultsDir = join(dir, ALLURE_RESULTS_DIR);
  const names = (await readdir(resultsDir)).filter((f) => f.endsWith('-result.json'));
  const results = await Promise.all(
    names.map(async (f) => JSON.parse(await readFile(join(resultsDir, f), 'utf8')) as TestResult),
  );
  return { files, results, resultsDir };
}

function resultOf(results: TestResult[], cell: CellRecord): TestResult {
  const found = results.filter((r) => r.fullName?.endsWith(`/${cell.id}`));
  expect(found, cell.id).toHaveLength(1);
  return found[0] as TestResult;
}

/** Allure 2 matches a category's regex against the whole message, with `.` matching newlines. */
function categoriesOf(categories: Category[], result: TestResult): string[] {
  return categories
    .filter((c) => result.status !== undefined && (c.matchedStatuses ?? []).includes(result.status))
    .filter((c) =>
      new RegExp(`^(?:${String(c.messageRegex)})$`, 's').test(result.statusDetails.message ?? ''),
    )
    .map((c) => c.name ?? '');
}

/** Every cell status, and both ways an expectation can go. */
function everyKindOfCell(): RunRecord {
  const base = realisticRunRecord();
  const timedout: CellRecord = { ...erroredCell({ axes: { profile: 'to' } }), status: 'timedout' };
  const interrupted: CellRecord = { ...erroredCell({ axes: { profile: 'int' } }), status: 'interrupted' };
  return buildRunRecord({
    cells: [
      ...base.cells,
      inconclusiveCell({ startedAt: cellStart(5), axes: { profile: 'xl' } }),
      unexpectedPassCell({ startedAt: cellStart(6), axes: { profile: 'tiny' } }),
      timedout,
      interrupted,
      lostWritesCell({ startedAt: cellStart(7), axes: { profile: 'lw' } }),
      { ...lostWritesCell({ axes: { profile: 'nochecks' } }), reason: 'rollback', checks: [] },
    ],
  });
}

describe('AllureReporter', () => {
  it('writes one result per cell, named by its uuid, with the status the exit code implies', async () => {
    const record = everyKindOfCell();
    const { results, resultsDir } = await writeAllure(record);
    expect(results).toHaveLength(record.cells.length);
    const files = await readdir(resultsDir);
    for (const r of results) expect(files).toContain(`${r.uuid}-result.json`);
    // In the order of everyKindOfCell().
    expect(record.cells.map((cell) => resultOf(results, cell).status)).toEqual([
      'passed', // passed
      'failed', // failed on downtime
      'passed', // failed on the error budget, as expected
      'broken', // errored
      'failed', // upgrade failed, rolled back
      'broken', // inconclusive
      'failed', // passed, but a failure was expected
      'broken', // timed out
      'broken', // interrupted
      'failed', // lost writes
      'failed', // failed without a failed check
    ]);
  });

  it('says in the description and message that an expected failure failed as expected', async () => {
    const record = realisticRunRecord();
    const cell = record.cells[2] as CellRecord;
    const r = resultOf((await writeAllure(record)).results, cell);
    expect(r.status).toBe('passed');
    expect(r.description).toContain(
      'Failed as expected: failed (error-budget) (expected failed (error-budget))',
    );
    expect(r.statusDetails.message).toMatch(
      /^as expected: the cell failed \(error-budget\)\n\[error-budget\] /,
    );
    expect(r.labels).toContainEqual({ name: 'tag', value: 'expected-failure' });
  });

  it('names the cell, its matrix and every axis as parameters, with stable ids', async () => {
    const custom = passedCell({ axes: { region: 'eu-west', profile: 'small' } });
    const record = buildRunRecord({ cells: [custom], runId: 'run-a' });
    const [r] = (await writeAllure(record)).results;
    expect(r?.name).toBe(
      '1.0.0 → 1.1.0, rolling, via local on local (rollback never, profile small, region eu-west)',
    );
    expect(r?.fullName).toBe(`demo/${custom.id}`);
    expect(r?.parameters.map((p) => [p.name, p.value])).toEqual([
      ['platform', 'local'],
      ['method', 'local'],
      ['from', '1.0.0'],
      ['to', '1.1.0'],
      ['strategy', 'rolling'],
      ['rollback', 'never'],
      ['profile', 'small'],
      ['region', 'eu-west'],
    ]);
    expect(r?.labels).toEqual(
      expect.arrayContaining([
        { name: 'suite', value: 'demo' },
        { name: 'parentSuite', value: 'reference-app' },
        { name: 'subSuite', value: '1.0.0 → 1.1.0' },
        { name: 'feature', value: 'reference-app' },
        { name: 'framework', value: 'upgrade-harness' },
        { name: 'host', value: 'linux-x64' },
        { name: 'region', value: 'eu-west' },
      ]),
    );
    expect(r?.start).toBe(Math.round(custom.startedAt));
    expect(r?.stop).toBe(Math.round(custom.endedAt));

    // Another run of the same cell: a new result, the same test case in Allure's history.
    await rm(dir, { recursive: true, force: true });
    const [again] = (await writeAllure(buildRunRecord({ cells: [custom], runId: 'run-b' }))).results;
    expect(again?.uuid).not.toBe(r?.uuid);
    expect(again?.historyId).toBe(r?.historyId);
    expect(again?.testCaseId).toBe(r?.testCaseId);
    expect(r?.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('has a step per phase with its timings and status, then a step per check', async () => {
    const record = realisticRunRecord();
    const { results } = await writeAllure(record);
    for (const cell of record.cells) {
      const steps = resultOf(results, cell).steps;
      const phaseSteps = steps.slice(0, cell.phases.length);
      expect(phaseSteps.map((s) => [s.name, s.start, s.stop])).toEqual(
        cell.phases.map((p) => [p.name, Math.round(p.startedAt), Math.round(p.endedAt)]),
      );
      const checkSteps = steps.filter((s) => s.name?.startsWith('check '));
      expect(checkSteps).toHaveLength(cell.checks.length);
    }
    const rolledBack = resultOf(results, record.cells[4] as CellRecord).steps;
    const upgrade = rolledBack.find((s) => s.name === 'upgrade') as StepResult;
    expect(upgrade.status).toBe('failed');
    expect(upgrade.statusDetails.message).toContain('not ready within 120 s');
    // The rollback event happened during the rollback phase and is shown there.
    const rollback = rolledBack.find((s) => s.name === 'rollback') as StepResult;
    expect(rollback.steps.map((s) => s.name)).toEqual(['rollback: upgrade failed; rolling back to 1.0.0']);
    expect(resultOf(results, record.cells[3] as CellRecord).steps[0]?.status).toBe('broken');

    const downtime = resultOf(results, record.cells[1] as CellRecord).steps;
    const check = downtime.find((s) => s.name?.startsWith('check downtime:')) as StepResult;
    expect(check.status).toBe('failed');
    expect(check.name).toContain('> 0 s allowed');
    expect(check.parameters).toEqual(
      expect.arrayContaining([
        { name: 'value', value: '6.515' },
        { name: 'limit', value: '0' },
      ]),
    );
  });

  it('attaches the cell record, its charts and its log, and writes each file it references', async () => {
    const record = realisticRunRecord();
    const logged = record.cells[1] as CellRecord;
    await mkdir(join(dir, logged.artifactsDir), { recursive: true });
    await writeFile(join(dir, logged.artifactsDir, 'cell.log'), 'upgrade started\nreplica web-1 replaced\n');
    const { results, resultsDir, files } = await writeAllure(record);
    for (const cell of record.cells) {
      const r = resultOf(results, cell);
      const byName = new Map(r.attachments.map((a) => [a.name, a]));
      const recordJson = byName.get('cell record (run.json)');
      expect(recordJson?.type).toBe('application/json');
      const parsed: unknown = JSON.parse(
        await readFile(join(resultsDir, String(recordJson?.source)), 'utf8'),
      );
      expect(parsed).toEqual(JSON.parse(JSON.stringify(cell)));
      const chart = byName.get('chart: Request rate by outcome');
      expect(chart?.type).toBe('image/svg+xml');
      expect(chart?.source).toMatch(/-attachment\.svg$/);
      expect(await readFile(join(resultsDir, String(chart?.source)), 'utf8')).toBe(
        `<svg id="rate">${cell.id}</svg>`,
      );
      expect(byName.has('chart: Latency p50/p99')).toBe(true);
      expect(byName.has('cell.log')).toBe(cell === logged);
      for (const a of r.attachments) expect(files).toContain(join(resultsDir, a.source));
    }
    const log = resultOf(results, logged).attachments.find((a) => a.name === 'cell.log');
    expect(await readFile(join(resultsDir, String(log?.source)), 'utf8')).toBe(
      'upgrade started\nreplica web-1 replaced\n',
    );
    // Every file the reporter says it wrote exists, and it wrote nothing else.
    expect([...files].sort()).toEqual((await readdir(resultsDir)).map((f) => join(resultsDir, f)).sort());
  });

  it('attaches the end of a log that is too long, and no charts without a renderer', async () => {
    const cell = passedCell();
    await mkdir(join(dir, cell.artifactsDir), { recursive: true });
    await writeFile(join(dir, cell.artifactsDir, 'cell.log'), `${'x'.repeat(1000)}THE END\n`);
    const { results, resultsDir } = await writeAllure(
      buildRunRecord({ cells: [cell] }),
      new AllureReporter({ maxLogBytes: 100 }),
    );
    const attachments = results[0]?.attachments ?? [];
    expect(attachments.map((a) => a.name)).toEqual(['cell record (run.json)', 'cell.log']);
    const text = await readFile(join(resultsDir, String(attachments[1]?.source)), 'utf8');
    expect(text).toMatch(/^\[\.\.\. the first 908 bytes of cell\.log are left out/);
    expect(text.endsWith(`${'x'.repeat(92)}THE END\n`)).toBe(true);
  });

  it("attaches a cell's Kubernetes summary.md, but not through a link out of the run directory", async () => {
    const outside = await mkdtemp(join(tmpdir(), 'allure-outside-'));
    try {
      const [kube, linked] = ['kube', 'kube-linked'].map((id) => passedCell({ id }));
      if (!kube || !linked) throw new Error('no cells');
      await mkdir(join(dir, kube.artifactsDir, 'diagnostics', 'kubernetes'), { recursive: true });
      await writeFile(
        join(dir, kube.artifactsDir, 'diagnostics', 'kubernetes', 'summary.md'),
        '# Kubernetes diagnostics\n',
      );
      await writeFile(join(outside, 'summary.md'), 'a secret from elsewhere\n');
      await mkdir(join(dir, linked.artifactsDir, 'diagnostics'), { recursive: true });
      await symlink(outside, join(dir, linked.artifactsDir, 'diagnostics', 'kubernetes'));
      const { results, resultsDir } = await writeAllure(buildRunRecord({ cells: [kube, linked] }));
      const summaryOf = (cell: CellRecord) =>
        resultOf(results, cell).attachments.find((a) => a.name === 'Kubernetes diagnostics (summary.md)');
      expect(summaryOf(kube)?.type).toBe('text/plain');
      expect(await readFile(join(resultsDir, String(summaryOf(kube)?.source)), 'utf8')).toBe(
        '# Kubernetes diagnostics\n',
      );
      expect(summaryOf(linked)).toBeUndefined();
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('attaches no cell.log that a symbolic link leads out of the run directory', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'allure-outside-'));
    try {
      await writeFile(join(outside, 'cell.log'), 'a secret from elsewhere\n');
      const [byFile, byFolder, inside] = ['by-file', 'by-folder', 'inside'].map((id) => passedCell({ id }));
      if (!byFile || !byFolder || !inside) throw new Error('no cells');
      // The log itself is a link out; the cell's folder is a link out; a link to a file of the run is fine.
      await mkdir(join(dir, byFile.artifactsDir), { recursive: true });
      await symlink(join(outside, 'cell.log'), join(dir, byFile.artifactsDir, 'cell.log'));
      await symlink(outside, join(dir, byFolder.artifactsDir));
      await mkdir(join(dir, inside.artifactsDir), { recursive: true });
      await writeFile(join(dir, 'shared.log'), "the run's own log\n");
      await symlink(join(dir, 'shared.log'), join(dir, inside.artifactsDir, 'cell.log'));
      const { results, resultsDir } = await writeAllure(
        buildRunRecord({ cells: [byFile, byFolder, inside] }),
      );
      const logOf = (cell: CellRecord) =>
        resultOf(results, cell).attachments.find((a) => a.name === 'cell.log');
      expect(logOf(byFile)).toBeUndefined();
      expect(logOf(byFolder)).toBeUndefined();
      expect(await readFile(join(resultsDir, String(logOf(inside)?.source)), 'utf8')).toBe(
        "the run's own log\n",
      );
      for (const file of await readdir(resultsDir)) {
        expect(await readFile(join(resultsDir, file), 'utf8')).not.toContain('a secret from elsewhere');
      }
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('still writes the result when the chart renderer throws, saying so in an attachment', async () => {
    const broken = new AllureReporter({
      charts: () => {
        throw new Error('no timeline');
      },
    });
    const { results, resultsDir } = await writeAllure(buildRunRecord(), broken);
    const note = results[0]?.attachments.find((a) => a.name === 'charts (not rendered)');
    expect(await readFile(join(resultsDir, String(note?.source)), 'utf8')).toBe(
      'charts could not be drawn: no timeline\n',
    );
  });

  it('writes categories whose regexes file every failed or broken cell, and no passed one', async () => {
    const record = everyKindOfCell();
    const { results, resultsDir } = await writeAllure(record);
    const categories = JSON.parse(await readFile(join(resultsDir, 'categories.json'), 'utf8')) as Category[];
    expect(categories.map((c) => c.name)).toEqual(
      expect.arrayContaining(['Downtime', 'Error budget', 'Rollback', 'Data loss', 'Infrastructure']),
    );
    const filed = Object.fromEntries(
      record.cells.map((c) => [c.id, categoriesOf(categories, resultOf(results, c))]),
    );
    const ids = record.cells.map((c) => c.id);
    expect(filed[String(ids[0])]).toEqual([]);
    expect(filed[String(ids[1])]).toEqual(['Downtime', 'Error budget']);
    expect(filed[String(ids[2])]).toEqual([]);
    expect(filed[String(ids[3])]).toEqual(['Infrastructure']);
    expect(filed[String(ids[4])]).toEqual(['Upgrade failed']);
    expect(filed[String(ids[5])]).toEqual(['Load generator (inconclusive)']);
    expect(filed[String(ids[6])]).toEqual(['Expectation not met']);
    expect(filed[String(ids[7])]).toEqual(['Infrastructure']);
    expect(filed[String(ids[8])]).toEqual(['Interrupted']);
    expect(filed[String(ids[9])]).toEqual(['Data loss']);
    // A failed cell without a failed check in its record is filed by its reason.
    expect(filed[String(ids[10])]).toEqual(['Rollback']);
    // Allure 3 searches (no full match): the same regexes must still pick the same lines.
    const downtime = resultOf(results, record.cells[1] as CellRecord).statusDetails.message ?? '';
    expect(downtime.split('\n')).toEqual([
      expect.stringMatching(/^\[downtime\] downtime 6\.515 s > 0 s allowed$/),
      expect.stringMatching(/^\[error-budget\] error budget /),
    ]);
  });

  it('writes the environment and the executor from the record', async () => {
    const { resultsDir } = await writeAllure(realisticRunRecord({ runId: 'run-env-1' }));
    const env = parseEnvInfo(await readFile(join(resultsDir, 'environment.properties'), 'utf8'));
    expect(env).toMatchObject({
      tool: 'upgrade-harness 0.1.0',
      'run.id': 'run-env-1',
      matrix: 'demo (matrices/demo.yaml)',
      node: 'v20.20.2',
      platform: 'linux-x64',
      cpus: '2',
    });
    const executor = JSON.parse(await readFile(join(resultsDir, 'executor.json'), 'utf8')) as unknown;
    expect(executor).toMatchObject({ name: 'upgrade-harness', buildName: 'demo run-env-1' });
  });

  it('writes the same files, byte for byte, when the record is written again', async () => {
    const record = realisticRunRecord();
    const first = await writeAllure(record);
    const snapshot = await Promise.all(first.files.map((f) => readFile(f, 'utf8')));
    const second = await writeAllure(record);
    expect(second.files).toEqual(first.files);
    expect(await Promise.all(second.files.map((f) => readFile(f, 'utf8')))).toEqual(snapshot);
    expect(await readdir(second.resultsDir)).toHaveLength(first.files.length);
  });
});
