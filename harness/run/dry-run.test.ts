import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMatrix } from '../config/load.js';
import { describeDryRun } from './dry-run.js';
import { defaultRegistries } from './registries.js';

const HERE = relative(process.cwd(), dirname(fileURLToPath(import.meta.url)));
const MATRIX = join(HERE, '..', 'config', 'testdata', 'catalog', 'matrix.yaml');

async function dryRun(idPart: string): Promise<string[]> {
  const plan = await loadMatrix(MATRIX);
  const cells = plan.cells.filter((c) => c.id.includes(idPart));
  expect(cells).toHaveLength(1);
  return describeDryRun({
    cells,
    scenario: plan.scenario,
    scenarioDir: dirname(plan.scenarioFile),
    strategyOptions: plan.matrix.strategyOptions,
    registries: defaultRegistries(),
    runId: 'r1',
  });
}

describe('describeDryRun with stops', () => {
  it("prints each hop in order with that hop's upgrade commands, between install and rollback", async () => {
    const lines = await dryRun('-via-');
    const method = lines.slice(lines.findIndex((l) => l.startsWith('  method exec:')));
    expect(method.slice(0, 12).map((l) => l.trimEnd())).toEqual([
      '  method exec: 17.3.7 → 17.5.5 → 17.8.7 → 17.11.6 → 18.2.1 (4 hops), rollback never',
      '    install   $ deploy 17.3.7',
      '    install   wait until /readyz answers as 17.3.7',
      '    upgrade 1/4: 17.3.7 → 17.5.5',
      '    upgrade   $ deploy 17.5.5',
      '    upgrade   wait until /readyz answers as 17.5.5',
      '    upgrade 2/4: 17.5.5 → 17.8.7',
      '    upgrade   $ deploy 17.8.7',
      '    upgrade   wait until /readyz answers as 17.8.7',
      '    upgrade 3/4: 17.8.7 → 17.11.6',
      '    upgrade   $ deploy 17.11.6',
      '    upgrade   wait until /readyz answers as 17.11.6',
    ]);
    expect(method.slice(12, 16).map((l) => l.trimEnd())).toEqual([
      '    upgrade 4/4: 17.11.6 → 18.2.1',
      '    upgrade   $ deploy 18.2.1',
      '    upgrade   wait until /readyz answers as 18.2.1',
      '    rollback  $ deploy 17.3.7',
    ]);
    expect(lines.some((l) => l.includes('per hop (4): upgrade ≤ 180 s and settle 3 s'))).toBe(true);
  });

  it('prints a one-hop cell as before', async () => {
    const lines = await dryRun('18.0.4-to-18.2.1');
    expect(lines).toContain('  method exec: 18.0.4 → 18.2.1, rollback never');
    expect(lines).toContain('    upgrade   $ deploy 18.2.1');
    expect(lines.some((l) => /upgrade \d\/\d:/.test(l))).toBe(false);
  });
});

describe('describeDryRun load line', () => {
  it('names the rate per class when classes have their own (GitLab: api / web / git), not "0 req/s"', async () => {
    const plan = await loadMatrix(join(HERE, '..', '..', 'matrices', 'gitlab-nightly.yaml'));
    const lines = describeDryRun({
      cells: plan.cells.slice(0, 1),
      scenario: plan.scenario,
      scenarioDir: dirname(plan.scenarioFile),
      strategyOptions: plan.matrix.strategyOptions,
      registries: defaultRegistries(),
      runId: 'r1',
    });
    const load = lines.find((l) => l.startsWith('  load:'));
    expect(load).toMatch(/builtin driver, api \d+ \+ web \d+ \+ git \d+ req\/s per connection mode/);
    expect(load).not.toMatch(/ 0 req\/s/);
    expect(lines).toContain(
      "  traffic in: port-forward through the API server to ready pods of Service gitlab-webservice-default:8181 in the cell's namespace (127.0.0.1:<free port>)",
    );
  });
});
