import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CellRecord } from '../common/run-record.js';
import {
  buildRunRecord,
  cellStart,
  downtimeFailedCell,
  expectedErrorBudgetFailureCell,
  inconclusiveCell,
  lostWritesCell,
  passedCell,
  realisticRunRecord,
  rolledBackCell,
  unexpectedPassCell,
} from '../testing/run-record-builder.js';
import { withKubernetes } from '../testing/run-record-kube.js';
import { MarkdownReporter, renderMarkdownSummary } from './markdown-reporter.js';

/** The table row of a cell, split into its columns (escaped pipes kept inside their column). */
function rowOf(markdown: string, cellId: string): string[] {
  const line = markdown.split('\n').find((l) => l.startsWith(`| ${cellId} |`));
  if (!line) throw new Error(`no row for ${cellId}`);
  return line
    .slice(2, -2)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

describe('summary.md', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('says all cells were as expected when they were, counting expected failures', () => {
    const record = buildRunRecord({
      cells: [passedCell(), expectedErrorBudgetFailureCell({ startedAt: cellStart(1) })],
    });
    const md = renderMarkdownSummary(record);
    expect(md.split('\n')[2]).toBe('✅ 2 of 2 cells as expected');
    expect(rowOf(md, record.cells[1]?.id ?? '')[3]).toBe('✅ failed (error-budget), expected');
  });

  it('counts unexpected cells by status in the verdict line', () => {
    const md = renderMarkdownSummary(realisticRunRecord());
    expect(md.split('\n')[2]).toBe('❌ 3 of 5 cells not as expected: 2 failed, 1 errored');
  });

  it('fills the columns of a failed cell for people', () => {
    const cell = downtimeFailedCell();
    const row = rowOf(renderMarkdownSummary(buildRunRecord({ cells: [cell] })), cell.id);
    expect(row).toEqual([
      cell.id,
      '1.0.0 → 1.1.0',
      'recreate',
      '❌ failed (downtime)',
      '6.515',
      `326 / ${cell.requests.total.toLocaleString('en-US')}`,
      `${(cell.errorBudget.consumedRatio * 100).toFixed(1).replace(/\B(?=(\d{3})+\.)/, ',')} %`,
      '—',
      '0',
    ]);
  });

  it('shows a budget breached against a zero allowance as infinite', () => {
    const base = downtimeFailedCell();
    const cell: CellRecord = {
      ...base,
      errorBudget: { ...base.errorBudget, allowedFailures: 0, consumedRatio: 1e9 },
    };
    expect(rowOf(renderMarkdownSummary(buildRunRecord({ cells: [cell] })), cell.id)[6]).toBe('∞ (0 allowed)');
  });

  it('shows rollback time, a failed rollback and lost writes', () => {
    const rolled = rolledBackCell();
    const failedRollback: CellRecord = {
      ...rolledBackCell({ id: 'rollback-broke', startedAt: cellStart(1) }),
      rollback: { attempted: true, succeeded: false, seconds: 300, reason: 'replica web-1 stuck on 1.1.0' },
    };
    const lost = lostWritesCell({ id: 'lossy', startedAt: cellStart(2) });
    const md = renderMarkdownSummary(buildRunRecord({ cells: [rolled, failedRollback, lost] }));
    expect(rowOf(md, rolled.id)[7]).toBe('✔ 12.3 s');
    expect(rowOf(md, 'rollback-broke')[7]).toBe('✘ 300.0 s');
    expect(rowOf(md, 'lossy')[8]).toBe('12');
    expect(md).toContain('- rollback failed in 300.0 s: replica web-1 stuck on 1.1.0');
    expect(md).toContain(
      '- lost writes: 12 (w-1000, w-1007, w-1014, w-1021, w-1028, w-1035, w-1042, w-1049, w-1056, w-1063 and 2 more)',
    );
  });

  it('lists the failing checks of every cell that did not pass, marking expected ones', () => {
    const md = renderMarkdownSummary(realisticRunRecord());
    const sections = md.split('\n### ').slice(1);
    expect(sections.map((s) => s.split('\n')[0])).toEqual([
      '❌ local-local-recreate-1.0.0-to-1.1.0-never-small: failed (downtime)',
      '✅ local-local-rolling-1.0.0-to-1.2.0-never-small: failed (error-budget), expected',
      '⚠️ local-local-rolling-1.0.0-to-1.1.0-never-large: errored',
      '❌ local-local-rolling-1.0.0-to-1.1.0-on-failure-small: failed (upgrade-failed)',
    ]);
    expect(sections[0]).toContain('- downtime 6.515 s > 0 s allowed\n');
    expect(sections[1]).toMatch(/- error budget 445\.3 % used: .* \(expected\)\n/);
    expect(sections[2]).toContain('- error in phase provision: postgres "main" did not become ready');
  });

  it('explains an expected failure that did not happen and an inconclusive cell', () => {
    const unexpected = unexpectedPassCell();
    const inconclusive = inconclusiveCell({ id: 'slow-generator', startedAt: cellStart(1) });
    const md = renderMarkdownSummary(buildRunRecord({ cells: [unexpected, inconclusive] }));
    expect(rowOf(md, unexpected.id)[3]).toBe('❌ passed, expected failed (error-budget)');
    expect(md).toContain('- expected failed (error-budget) but the cell passed');
    expect(rowOf(md, 'slow-generator')[3]).toBe('⚠️ inconclusive');
    expect(md).toContain(
      '- load generator: achieved 76.4 of 100 req/s, 216 dropped, schedule lag p99 412.7 ms\n',
    );
    expect(md).toMatch(/- load achieved 38\.2 of 50 req\/s .* \(not judged\)\n/);
  });

  it('escapes pipes and keeps markup out of table cells and lists', () => {
    const base = downtimeFailedCell();
    const cell: CellRecord = {
      ...base,
      id: 'a|b',
      axes: { ...base.axes, strategy: 'blue|green' },
      checks: base.checks.map((c) =>
        c.name === 'downtime' ? { ...c, message: 'line one\nline | two <img src=x onerror=alert(1)>' } : c,
      ),
    };
    const md = renderMarkdownSummary(buildRunRecord({ cells: [cell], matrixName: 'night|ly' }));
    const row = rowOf(md, 'a\\|b');
    expect(row).toHaveLength(9);
    expect(row[2]).toBe('blue\\|green');
    expect(md).toContain('- line one line | two &lt;img src=x onerror=alert(1)>\n');
    expect(md).not.toContain('<img');
  });

  it('says so when no cell ran', () => {
    const md = renderMarkdownSummary(buildRunRecord({ cells: [], status: 'interrupted' }));
    expect(md.split('\n')[2]).toBe('⚠️ no cells ran (run interrupted)');
    expect(md).not.toContain('| cell |');
  });

  it('writes summary.md and matches the snapshot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'markdown-reporter-'));
    dirs.push(dir);
    const files = await new MarkdownReporter().write(realisticRunRecord(), dir);
    expect(files).toEqual([join(dir, 'summary.md')]);
    const md = await readFile(join(dir, 'summary.md'), 'utf8');
    expect(md.endsWith('\n')).toBe(true);
    await expect(md).toMatchFileSnapshot('./testdata/summary.md');
  });

  it('never shows a run that did not finish, or ended non-zero, as green', () => {
    const cells = [passedCell()];
    const interrupted = renderMarkdownSummary(
      buildRunRecord({ cells, status: 'interrupted', exitCode: 130 }),
    );
    expect(interrupted).not.toContain('✅ 1 of 1');
    expect(interrupted).toContain('the run did not finish (interrupted, exit code 130)');
    const nonZero = renderMarkdownSummary(buildRunRecord({ cells, exitCode: 3 }));
    expect(nonZero).toContain('❌ 1 of 1 cells as expected, but the run ended with exit code 3');
  });

  it('says a merged run is incomplete when it was merged with missing shards', () => {
    const record = { ...buildRunRecord({ cells: [passedCell()] }), mergeWarnings: ['shard 2/3 missing'] };
    expect(renderMarkdownSummary(record)).toContain(
      '⚠️ **This merged run is incomplete:**\n- shard 2/3 missing',
    );
  });

  it('names pod restarts during upgrade and settle, for failed and passed cells alike', () => {
    const failed = withKubernetes(downtimeFailedCell({ id: 'kind-failed' }), { settleRestarts: 1 });
    const passed = withKubernetes(passedCell({ id: 'kind-passed', startedAt: cellStart(1) }), {
      workload: 'StatefulSet/db',
    });
    const calm = withKubernetes(passedCell({ id: 'kind-calm', startedAt: cellStart(2) }), {
      upgradeRestarts: 0,
    });
    const md = renderMarkdownSummary(
      buildRunRecord({ cells: [failed, passed, calm, passedCell({ startedAt: cellStart(3) })] }),
    );
    expect(md).toContain(
      '- pods: 2 restarts during upgrade (Deployment/web); 1 restart during settle (Deployment/web)\n',
    );
    expect(md).toContain(
      '### Pod restarts in cells that passed\n\n- kind-passed: pods: 2 restarts during upgrade (StatefulSet/db)\n',
    );
    expect(md).not.toContain('kind-calm: pods');
    expect(md.match(/pods: /g)).toHaveLength(2);
  });

  it('keeps hostile workload names inline and inert', () => {
    const cell = withKubernetes(passedCell({ id: 'hostile' }), {
      workload: 'Deployment/<img src=x onerror=alert(1)>\n## injected',
    });
    const phase = cell.kubernetes?.byPhase.find((p) => p.phase === 'upgrade');
    if (phase) phase.detail = '1.0 → 1.1 | <b>';
    const md = renderMarkdownSummary(buildRunRecord({ cells: [cell] }));
    expect(md).not.toContain('<img');
    expect(md).not.toContain('\n## injected');
    expect(md).toContain(
      '- hostile: pods: 2 restarts during upgrade 1.0 → 1.1 | &lt;b> (Deployment/&lt;img src=x onerror=alert(1)> ## injected)\n',
    );
  });
});
