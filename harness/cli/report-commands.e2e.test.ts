import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeRunRecord } from '../report/json-reporter.js';
import { runCli } from '../testing/cli.js';
import { buildRunRecord, passedCell, realisticRunRecord } from '../testing/run-record-builder.js';

const NO_STACK = /^\s+at /m;

/** What users see from report, merge-reports, --shard and --reporter; built run records, nothing runs. */
describe('report commands through the CLI', () => {
  let dir = '';
  const env = { ...process.env, CI: 'true' };
  const cli = (...args: string[]) => runCli(args, { env });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-report-cli-'));
    await mkdir(join(dir, 'built'));
    await writeFile(join(dir, 'built', 'run.json'), serializeRunRecord(realisticRunRecord()));
    await mkdir(join(dir, 'nightly'));
    const nightly = buildRunRecord({ matrixName: 'nightly', cells: [passedCell({ id: 'n1' })] });
    await writeFile(join(dir, 'nightly', 'run.json'), serializeRunRecord(nightly));
    await mkdir(join(dir, 'empty'));
    await mkdir(join(dir, 'broken'));
    await writeFile(join(dir, 'broken', 'run.json'), '{"schemaVersion": 1, "runId": ');
    await mkdir(join(dir, 'future'));
    await writeFile(join(dir, 'future', 'run.json'), '{"schemaVersion": 99, "tool": {"version": "9.0.0"}}');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('report writes every report but run.json from it, and prints the files', async () => {
    const runJson = await readFile(join(dir, 'built', 'run.json'), 'utf8');
    const result = await cli('report', join(dir, 'built'));
    expect(result.code, result.stderr).toBe(0);
    const files = await readdir(join(dir, 'built'));
    expect(files).toEqual(expect.arrayContaining(['junit.xml', 'summary.md', 'run.json']));
    expect(result.stdout).toContain(join(dir, 'built', 'junit.xml'));
    expect(result.stdout).toContain(join(dir, 'built', 'summary.md'));
    expect(result.stdout).not.toContain(join(dir, 'built', 'run.json\n'));
    expect(await readFile(join(dir, 'built', 'run.json'), 'utf8')).toBe(runJson);

    for (const f of await readdir(join(dir, 'built')))
      if (f !== 'run.json') await rm(join(dir, 'built', f), { recursive: true });
    const one = await cli('report', join(dir, 'built', 'run.json'), '--reporter', 'markdown');
    expect(one.code, one.stderr).toBe(0);
    expect((await readdir(join(dir, 'built'))).sort()).toEqual(['run.json', 'summary.md']);
  });

  it.each([
    [
      'a folder without run.json',
      'empty',
      /error: no run record at \S+empty\/run\.json\nhint: pass a run directory/,
    ],
    ['invalid JSON', 'broken', /error: \S+broken\/run\.json is not valid JSON/],
    ['another schema version', 'future', /schemaVersion 99 \(written by upgrade-harness 9\.0\.0\)/],
    ['a missing folder', 'nowhere', /error: no run record at \S+nowhere/],
  ])('report of %s: exit 2, says which file and what is wrong, no stack', async (_what, sub, message) => {
    const result = await cli('report', join(dir, sub));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(NO_STACK);
    expect(result.stdout).toBe('');
  });

  it('refuses unknown reporters with the known names, before anything runs', async () => {
    for (const args of [
      ['report', join(dir, 'built'), '--reporter', 'junit,htlm'],
      ['run', 'matrices/demo.yaml', '--reporter', 'htlm', '--out', join(dir, 'never')],
      ['merge-reports', join(dir, 'built'), '--reporter', 'htlm', '--out', join(dir, 'never')],
    ]) {
      const result = await cli(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/error: unknown reporter "htlm" \(known: [^)]*junit, markdown/);
      expect(result.stderr).not.toMatch(NO_STACK);
    }
    expect(await readdir(dir)).not.toContain('never');
  });

  it.each(['0/3', '4/3', '1/0', '2', 'a/b', '1.5/2'])(
    'run --shard %s: exit 2 before anything runs',
    async (spec) => {
      const result = await cli('run', 'matrices/demo.yaml', '--shard', spec, '--out', join(dir, 'never'));
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`error: invalid shard "${spec}"`);
      expect(result.stderr).toContain('hint: write --shard INDEX/COUNT');
      expect(await readdir(dir)).not.toContain('never');
    },
  );

  it('plan --shard lists the slices; together they are the whole matrix', async () => {
    const all = JSON.parse((await cli('plan', 'matrices/demo.yaml', '--json')).stdout) as {
      cells: Array<{ id: string }>;
    };
    const ids: string[] = [];
    for (const i of [1, 2, 3]) {
      const result = await cli('plan', 'matrices/demo.yaml', '--json', '--shard', `${i}/3`);
      expect(result.code, result.stderr).toBe(0);
      const plan = JSON.parse(result.stdout) as { shard: unknown; cells: Array<{ id: string }> };
      expect(plan.shard).toEqual({ index: i, count: 3 });
      ids.push(...plan.cells.map((c) => c.id));
    }
    expect(ids.sort()).toEqual(all.cells.map((c) => c.id).sort());
    const text = await cli('plan', 'matrices/demo.yaml', '--shard', '1/3');
    expect(text.stdout).toMatch(
      /^demo: 2 cell\(s\) of scenario reference-app \(shard 1\/3 of the 4 cell\(s\)\)$/m,
    );
  });

  it('merge-reports refuses runs of different matrices', async () => {
    const result = await cli(
      'merge-reports',
      join(dir, 'built'),
      join(dir, 'nightly'),
      '--out',
      join(dir, 'm'),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('runs of different matrices cannot be merged');
    expect(result.stderr).toContain('ran matrix "demo"');
    expect(result.stderr).toContain('ran "nightly"');
    expect(result.stderr).not.toMatch(NO_STACK);
  });

  it('prints help with an example for report and merge-reports', async () => {
    for (const cmd of ['report', 'merge-reports']) {
      const help = await cli(cmd, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`upgrade-harness ${cmd}`);
      expect(help.stdout).toContain('--reporter');
      expect(help.stdout).toContain('Example');
    }
    const run = await cli('run', '--help');
    expect(run.stdout).toContain('--shard <i/n>');
    expect(run.stdout).toContain('--reporter <names>');
  });
});
