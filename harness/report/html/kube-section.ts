import type { CellRecord, KubePhaseCounts, KubernetesCellRecord } from '../../common/run-record.js';
import { countText, escapeHtml } from './html-text.js';

/** run.json may come from anywhere: lists are checked to be lists before they are walked. */
function listOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** A count cell; non-zero restarts, not-ready flips and warnings stand out. */
function countCell(value: unknown, strong = false): string {
  const text = escapeHtml(countText(value));
  return `<td class="num">${strong && typeof value === 'number' && value > 0 ? `<b>${text}</b>` : text}</td>`;
}

function textList(value: unknown): string {
  return listOf<unknown>(value)
    .map((w) => escapeHtml(String(w)))
    .join(', ');
}

function countsCells(c: Partial<KubePhaseCounts>): string {
  return [
    countCell(c.restarts, true),
    countCell(c.notReady, true),
    countCell(c.podsAdded),
    countCell(c.podsDeleted),
    countCell(c.imageChanges),
    countCell(c.warnings, true),
    `<td>${textList(c.workloads)}</td>`,
  ].join('');
}

function hasAny(c: Partial<KubePhaseCounts>): boolean {
  return [c.restarts, c.notReady, c.podsAdded, c.podsDeleted, c.imageChanges, c.warnings].some(
    (n) => n !== 0 && n !== undefined,
  );
}

function phasesTable(k: KubernetesCellRecord): string {
  const rows = listOf<Record<string, unknown>>(k.byPhase).map((raw) => {
    const p = record(raw) as Partial<KubePhaseCounts> & { phase?: unknown; detail?: unknown };
    const detail = p.detail ? ` <span class="muted">${escapeHtml(String(p.detail))}</span>` : '';
    return `<tr><td>${escapeHtml(String(p.phase ?? ''))}${detail}</td>${countsCells(p)}</tr>`;
  });
  const outside = record(k.outside) as Partial<KubePhaseCounts>;
  if (hasAny(outside)) rows.push(`<tr><td class="muted">outside phases</td>${countsCells(outside)}</tr>`);
  if (rows.length === 0) return '<p class="muted">No phases to attribute pod events to.</p>';
  return [
    '<div class="table-wrap"><table class="kube-phases">',
    '<thead><tr><th>phase</th><th class="num">restarts</th><th class="num">not ready</th><th class="num">pods added</th>' +
      '<th class="num">pods deleted</th><th class="num">image changes</th><th class="num">warnings</th><th>workloads</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table></div>',
  ].join('\n');
}

function workloadsTable(k: KubernetesCellRecord): string {
  const rows = listOf<unknown>(k.workloads).map((raw) => {
    const w = record(raw);
    return (
      `<tr><td>${escapeHtml(String(w.workload ?? ''))}</td>${countCell(w.podsSeen)}${countCell(w.restarts, true)}` +
      `${countCell(w.maxNotReady, true)}<td class="mono">${textList(w.images)}</td></tr>`
    );
  });
  if (rows.length === 0) return '<p class="muted">No pods were seen.</p>';
  return [
    '<div class="table-wrap"><table class="kube-workloads">',
    '<thead><tr><th>workload</th><th class="num">pods seen</th><th class="num">restarts</th><th class="num">max not ready</th><th>images</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table></div>',
  ].join('\n');
}

function portForwardLine(k: KubernetesCellRecord): string {
  if (k.portForward === undefined || k.portForward === null) return '';
  const pf = record(k.portForward);
  const text =
    `${countText(pf.tunnelled)} of ${countText(pf.accepted)} connections tunnelled, ` +
    `${countText(pf.noReadyPod)} found no ready pod, ${countText(pf.errors)} failed on the pod's side` +
    (pf.apiErrors
      ? `, ${countText(pf.apiErrors)} reset because the API server failed the tunnel (not the product)`
      : '');
  return `<p><b>Port-forward</b> ${escapeHtml(text)}</p>`;
}

/**
 * What the pod observer saw during a cell on Kubernetes: pod events per phase, the workloads, the
 * port-forward's connections and what limited the observation. Empty for other cells.
 */
export function kubernetesDetails(cell: CellRecord): string {
  const k = cell.kubernetes;
  if (k === undefined || k === null || typeof k !== 'object') return '';
  const events = record(k.kubeEvents);
  const notes = listOf<unknown>(k.notes);
  return [
    `<h3>Kubernetes: pod events by phase <span class="muted mono">${escapeHtml(String(k.namespace ?? ''))}</span></h3>`,
    phasesTable(k),
    workloadsTable(k),
    `<p class="muted">${escapeHtml(`${countText(events.total)} Kubernetes events, ${countText(events.warnings)} warnings`)}</p>`,
    portForwardLine(k),
    notes.length > 0
      ? `<ul class="plain">${notes.map((n) => `<li>${escapeHtml(String(n))}</li>`).join('')}</ul>`
      : '',
  ]
    .filter((p) => p !== '')
    .join('\n');
}
