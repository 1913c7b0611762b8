/**
 * What `upgrade-harness doctor` prints. Lines are stable and greppable: a tool's row starts with
 * its status and name, and every hint line under it names the tool again (`kind install: …`).
 */
import { type MatrixCheck, type NeedsCheck, needLabel, type ReadinessCheck } from './needs.js';
import type { ToolReport, ToolsReport } from './probe-tools.js';

export interface DoctorResult {
  tools: ToolsReport;
  readiness: ReadinessCheck[];
  matrices: MatrixCheck[];
  /** 0: every matrix given can run here (or none was given); 1: one cannot. */
  exitCode: number;
}

function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

function toolRow(tool: ToolReport): string[] {
  const version = tool.version ? `${tool.version}${tool.detail ? ` (${tool.detail})` : ''}` : '-';
  return [tool.status, tool.id, version, tool.path ?? '-'];
}

function toolNotes(tool: ToolReport): string[] {
  const notes: string[] = [];
  if (tool.problem) notes.push(`${tool.id} problem: ${tool.problem}`);
  if (tool.status !== 'found') {
    notes.push(`${tool.id} is for: ${tool.usedFor}`);
    for (const hint of tool.install) notes.push(`${tool.id} install: ${hint}`);
  }
  return notes;
}

/** One row per tool, the docker daemon's right after docker's, each followed by its notes. */
function toolLines(report: ToolsReport): string[] {
  const daemon = report.dockerDaemon;
  const entries: Array<{ row: string[]; notes: string[] }> = [];
  for (const tool of report.tools) {
    entries.push({ row: toolRow(tool), notes: toolNotes(tool) });
    if (tool.id !== 'docker') continue;
    entries.push({
      row: [daemon.status, 'docker-daemon', daemon.serverVersion ?? '-', daemon.problem ?? '-'],
      notes: daemon.status === 'answering' ? [] : [`docker-daemon hint: ${daemon.hint}`],
    });
  }
  const rows = columns(entries.map((e) => e.row));
  return entries.flatMap((e, i) => [`  ${rows[i]}`, ...e.notes.map((n) => `      ${n}`)]);
}

function needsText(check: NeedsCheck): string {
  const required = check.needs.length === 0 ? 'nothing extra' : check.needs.map(needLabel).join(', ');
  const optional = check.optionalNeeds.length > 0 ? ` (optional: ${check.optionalNeeds.join(', ')})` : '';
  return `${required}${optional}`;
}

function readinessLines(checks: readonly ReadinessCheck[]): string[] {
  const rows = checks.map((c) => {
    const problems = c.problems.map((p) => (p.optional ? `optional ${p.summary}` : p.summary));
    return [
      c.canRun ? 'ready' : 'blocked',
      c.what,
      `needs ${needsText(c)}${problems.length ? `: ${problems.join(', ')}` : ''}`,
    ];
  });
  return columns(rows).map((line) => `  ${line}`);
}

function matrixLines(check: MatrixCheck): string[] {
  const head =
    check.blockedCells === 0
      ? `matrix ${check.file} (${check.name}): all ${check.cells} cell(s) can run here`
      : `matrix ${check.file} (${check.name}): ${check.blockedCells} of ${check.cells} cell(s) cannot run here`;
  const lines = [head];
  for (const g of check.groups) {
    const what = `${check.file}: ${g.cells.length} cell(s) on platform ${g.platform} with method ${g.method} need ${needsText(g)}`;
    const problems = g.problems.map((p) => (p.optional ? `optional ${p.detail}` : p.detail));
    lines.push(
      `  ${g.canRun ? 'ok     ' : 'blocked'}  ${what}${problems.length ? `: ${problems.join(', ')}` : ''}`,
    );
  }
  return lines;
}

export function doctorText(result: DoctorResult): string[] {
  const found = result.tools.tools.filter((t) => t.status === 'found').length;
  const daemon = result.tools.dockerDaemon.status === 'answering' ? 'answering' : 'not answering';
  const lines = [
    'tools:',
    ...toolLines(result.tools),
    `${found} of ${result.tools.tools.length} tools found; docker daemon ${daemon}`,
    '',
    'what can run here:',
    ...readinessLines(result.readiness),
  ];
  for (const matrix of result.matrices) lines.push('', ...matrixLines(matrix));
  if (result.matrices.length > 0) {
    const blocked = result.matrices.filter((m) => !m.canRun).length;
    lines.push(
      '',
      blocked === 0
        ? `every matrix given can run here (${result.matrices.length})`
        : `${blocked} of ${result.matrices.length} matrix file(s) cannot fully run here`,
    );
  }
  return lines;
}

export function doctorJson(result: DoctorResult): string {
  return JSON.stringify(result, null, 2);
}
