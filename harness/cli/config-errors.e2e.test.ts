import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../testing/cli.js';

const CORPUS = 'harness/config/testdata/broken';
const files = readdirSync(join(REPO_ROOT, CORPUS)).filter((f) => f.endsWith('.yaml'));

/** What a user sees from the real CLI for each broken file: file:line:col, a message, exit 2, no stack. */
describe('broken config files through the CLI', () => {
  it('has a corpus of at least 20 files', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(files)('%s → exit 2 with file:line:col and no stack trace', async (file) => {
    const path = `${CORPUS}/${file}`;
    const command = file.startsWith('m-') ? ['run', path] : ['validate', path];
    const result = await runCli(command);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/[\w./-]+\.yaml:\d+:\d+ /);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).not.toContain('run ');
  });

  it('stops a run before it starts anything', async () => {
    const result = await runCli([
      'run',
      `${CORPUS}/m-bad-strategy.yaml`,
      '--out',
      '/nonexistent/never-created',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('m-bad-strategy.yaml:');
  });

  it('answers usage errors with exit 2 and a hint', async () => {
    const unknown = await runCli(['run']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("missing required argument 'matrix'");
    const badFilter = await runCli(['plan', 'matrices/demo.yaml', '--filter', 'colour=blue']);
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toContain('colour');
    expect(badFilter.stderr).not.toMatch(/^\s+at /m);
  });

  it('prints help with an example for each command', async () => {
    for (const cmd of ['validate', 'plan', 'run']) {
      const help = await runCli([cmd, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`upgrade-harness ${cmd}`);
      expect(help.stdout).toContain('Example');
    }
  });
});
