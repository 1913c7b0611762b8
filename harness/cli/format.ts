import type { CellRecord, RunRecord } from '../common/run-record.js';

export function describeCellResult(cell: CellRecord): string {
  const expected = cell.expected
    ? ` (expected ${cell.expected.status}${cell.expected.reason ? `: ${cell.expected.reason}` : ''})`
    : '';
  const mark = cell.matchedExpectation ? 'as expected' : 'UNEXPECTED';
  const why = cell.reason ? ` — ${cell.reason}` : '';
  return `${cell.status}${why}${expected}, ${mark}`;
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The table printed at the end of a run. */
export function summaryTable(record: RunRecord): string {
  const rows = [
    ['cell', 'status', 'expected', 'downtime s', 'failed/total', 'budget', 'rollback', 'lost writes'],
  ];
  for (const c of record.cells) {
    const budget =
      c.errorBudget.consumedRatio >= 1e9 ? '∞' : `${(c.errorBudget.consumedRatio * 100).toFixed(0)}%`;
    const down = c.rollback.downtimeSeconds ? `, ${c.rollback.downtimeSeconds.toFixed(3)}s down` : '';
    const rollback = !c.rollback.attempted
      ? '-'
      : c.rollback.succeeded
        ? `ok ${c.rollback.seconds?.toFixed(1)}s${down}`
        : 'FAILED';
    const d = c.dataIntegrity;
    const lost =
      d.acknowledged === 0
        ? '-'
        : d.verified === 0 && d.lost === 0
          ? `unverified ${d.unverified}`
          : String(d.lost);
    rows.push([
      c.id,
      c.status,
      c.expected
        ? `${c.expected.status}${c.matchedExpectation ? ' ✓' : ' ✗'}`
        : c.matchedExpectation
          ? '-'
          : '✗',
      c.downtimeSeconds.toFixed(3),
      `${c.requests.failed}/${c.requests.total}`,
      budget,
      rollback,
      lost,
    ]);
  }
  return pad(rows);
}
