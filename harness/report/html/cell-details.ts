import type { CellRecord, Check } from '../../common/run-record.js';
import { formatPercent } from '../format.js';
import {
  countText,
  escapeHtml,
  formatBytes,
  formatNumber,
  formatOffset,
  relativeHref,
  secondsText,
} from './html-text.js';

/** A file of the run that exists on disk, relative to the run directory (`/`-separated). */
export interface ArtifactFile {
  path: string;
  bytes: number;
}

export function checksTable(checks: readonly Check[]): string {
  const rows = checks.map(
    (c) =>
      `<tr><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.category)}</td>` +
      `<td class="num">${escapeHtml(formatNumber(c.value))}</td><td class="num">${escapeHtml(formatNumber(c.limit))}</td>` +
      `<td class="msg">${escapeHtml(c.message)}</td></tr>`,
  );
  return [
    '<div class="table-wrap"><table class="checks">',
    '<thead><tr><th>check</th><th>category</th><th class="num">value</th><th class="num">limit</th><th>message</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table></div>',
  ].join('\n');
}

/** The load generator's self-check: did it hold the rate, and was it itself busy? */
export function loadLine(cell: CellRecord): string {
  const { load } = cell;
  const parts = [
    `achieved ${formatNumber(load.achievedRate)} of ${formatNumber(load.targetRate)} req/s`,
    `${countText(load.sent)} sent of ${countText(load.scheduled)} scheduled, ${countText(load.dropped)} dropped`,
    `schedule lag p99 ${formatNumber(load.scheduleLagP99Ms)} ms`,
  ];
  if (load.process) {
    parts.push(
      `generator CPU ${formatNumber(load.process.cpuCores)} cores, event loop ${formatPercent(load.process.eventLoopUtilization)} busy`,
    );
  }
  const verdict = load.ok ? 'ok' : `not ok${load.reason ? `: ${load.reason}` : ''}`;
  const lines = [`<p class="load"><b>Load</b> ${escapeHtml(verdict)} — ${escapeHtml(parts.join('; '))}</p>`];
  const byPhase = Object.entries(load.byPhase ?? {});
  if (byPhase.length > 0) {
    const items = byPhase.map(([phase, rate]) => {
      const judged = rate.judged ? '' : ' (too short to judge)';
      return `<li>${escapeHtml(`${phase}: ${formatNumber(rate.achievedRate)} req/s over ${secondsText(rate.seconds, 1)} s, ${countText(rate.requests)} requests${judged}`)}</li>`;
    });
    lines.push(
      `<details><summary>achieved rate per phase</summary><ul class="plain">${items.join('')}</ul></details>`,
    );
  }
  return lines.join('\n');
}

export function rollbackLine(cell: CellRecord): string {
  const { rollback } = cell;
  if (!rollback.attempted) return '';
  const took = rollback.seconds === null ? '' : ` in ${secondsText(rollback.seconds, 1)} s`;
  const result =
    rollback.succeeded === true ? 'succeeded' : rollback.succeeded === false ? 'failed' : 'result unknown';
  const down =
    rollback.downtimeSeconds === undefined ? '' : `, downtime ${secondsText(rollback.downtimeSeconds)} s`;
  const reason = rollback.reason ? `: ${rollback.reason}` : '';
  return `<p><b>Rollback</b> ${escapeHtml(`${result}${took}${down}${reason}`)}</p>`;
}

export function dataIntegrityLine(cell: CellRecord): string {
  const d = cell.dataIntegrity;
  if (d.acknowledged === 0 && d.lost === 0) return '';
  const unverified = d.unverified > 0 ? `, ${countText(d.unverified)} unverified` : '';
  const keys = d.lostKeys.length > 0 ? ` — lost keys: ${d.lostKeys.slice(0, 20).join(', ')}` : '';
  const more = d.lostKeys.length > 20 ? ` and ${d.lostKeys.length - 20} more` : '';
  return `<p><b>Writes</b> ${escapeHtml(`${countText(d.verified)} of ${countText(d.acknowledged)} acknowledged read back, ${countText(d.lost)} lost${unverified}${keys}${more}`)}</p>`;
}

export function downtimeDetails(cell: CellRecord): string {
  if (cell.downtime.length === 0) return '';
  const rows = cell.downtime.map((d) => {
    const classes = Object.entries(d.failureClasses)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    return (
      `<tr><td>${escapeHtml(d.sampler)}</td><td>${escapeHtml(d.phase ?? '')}</td>` +
      `<td class="num">${escapeHtml(formatOffset(d.startedAt, cell.startedAt))}</td>` +
      `<td class="num">${escapeHtml(secondsText(d.seconds))}</td><td class="num">${escapeHtml(countText(d.failedSamples))}</td>` +
      `<td>${escapeHtml(classes)}</td></tr>`
    );
  });
  return [
    `<details><summary>${escapeHtml(String(cell.downtime.length))} downtime interval${cell.downtime.length === 1 ? '' : 's'} (per sampler)</summary>`,
    '<div class="table-wrap"><table>',
    '<thead><tr><th>sampler</th><th>phase</th><th class="num">from cell start</th><th class="num">seconds</th><th class="num">failed</th><th>failures</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody></table></div></details>`,
  ].join('\n');
}

export function phasesDetails(cell: CellRecord): string {
  if (cell.phases.length === 0) return '';
  const rows = cell.phases.map(
    (p) =>
      `<tr><td>${escapeHtml(p.name)}${p.detail ? ` <span class="muted">${escapeHtml(p.detail)}</span>` : ''}</td>` +
      `<td>${escapeHtml(p.status)}</td><td class="num">${escapeHtml(formatOffset(p.startedAt, cell.startedAt))}</td>` +
      `<td class="num">${escapeHtml(secondsText((p.endedAt - p.startedAt) / 1000, 1))}</td>` +
      `<td class="msg">${escapeHtml(p.error ?? '')}</td></tr>`,
  );
  return [
    `<details><summary>${escapeHtml(String(cell.phases.length))} phases</summary>`,
    '<div class="table-wrap"><table>',
    '<thead><tr><th>phase</th><th>status</th><th class="num">from cell start</th><th class="num">seconds</th><th>error</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody></table></div></details>`,
  ].join('\n');
}

export function eventsDetails(cell: CellRecord): string {
  if (cell.events.length === 0) return '';
  const items = cell.events.map(
    (e) =>
      `<li><span class="mono">${escapeHtml(formatOffset(e.at, cell.startedAt))}</span> ${escapeHtml(e.kind)}: ${escapeHtml(e.message)}</li>`,
  );
  return `<details><summary>${escapeHtml(String(cell.events.length))} event${cell.events.length === 1 ? '' : 's'}</summary><ul class="plain">${items.join('')}</ul></details>`;
}

export function notesList(cell: CellRecord): string {
  const notes = cell.notes ?? [];
  if (notes.length === 0) return '';
  return `<h3>Notes</h3><ul class="plain">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`;
}

/** Links to the cell's files that exist, relative to index.html; `cell.log` first. */
export function filesList(cell: CellRecord, files: readonly ArtifactFile[]): string {
  const prefix = `${cell.artifactsDir.replace(/\/+$/, '')}/`;
  if (files.length === 0) {
    return `<h3>Logs and artifacts</h3><p class="muted">No files found under ${escapeHtml(prefix)}</p>`;
  }
  const items = files.map((f) => {
    const label = f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path;
    return `<li><a href="${escapeHtml(relativeHref(f.path))}">${escapeHtml(label)}</a> <span class="muted">${escapeHtml(formatBytes(f.bytes))}</span></li>`;
  });
  return [
    `<h3>Logs and artifacts <span class="muted mono">${escapeHtml(prefix)}</span></h3>`,
    `<ul class="files">${items.join('')}</ul>`,
  ].join('\n');
}
