import type { EventDigest, NodeDigest, PodDigest } from './kube-diagnostics-digest.js';

/** What the collection found, for summary.md; a part that failed is `undefined` and has a failure. */
export interface KubeDiagnosticsFindings {
  namespace: string;
  context?: string;
  collectedAt: number;
  pods?: PodDigest[];
  events?: EventDigest[];
  nodes?: NodeDigest[];
  resources: { ref: string; file?: string; status?: unknown; error?: string }[];
  /** Log files written (relative to the kubernetes folder) and the fetches that failed. */
  logs: { file: string; error?: string }[];
  failures: { part: string; message: string }[];
}

/** Warnings listed before "and N more". */
const MAX_WARNINGS = 20;
const MAX_TEXT = 300;

/** One line of plain text: no newlines, no Markdown table or HTML breakouts, bounded. */
function line(value: string): string {
  const flat = value.replace(/\s+/g, ' ').trim();
  const cut = flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT)}…` : flat;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/`/g, "'");
}

function code(value: string): string {
  return `\`${line(value)}\``;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function podsSection(pods: PodDigest[] | undefined): string[] {
  if (!pods) return ['## Pods', '', 'Not collected (see below).'];
  const notReady = pods.filter((p) => !p.ready && p.phase !== 'Succeeded');
  const restarted = pods.filter((p) => p.restarts > 0);
  const out = [
    `## Pods: ${pods.length}, ${notReady.length} not ready, ${plural(
      restarted.reduce((s, p) => s + p.restarts, 0),
      'restart',
    )}`,
    '',
  ];
  if (pods.length === 0) out.push('No pods in the namespace.');
  if (notReady.length > 0) {
    out.push('### Not ready', '');
    for (const p of notReady) {
      const waiting = p.containers
        .filter((c) => !c.ready && c.state)
        .map((c) => `${c.name} ${c.state}${c.stateMessage ? ` (${c.stateMessage})` : ''}`);
      const failing = p.conditions
        .filter((c) => c.status !== 'True' && (c.reason || c.message))
        .map((c) => `${c.type}: ${[c.reason, c.message].filter(Boolean).join(' ')}`);
      const parts = [
        `phase ${p.phase ?? 'unknown'}`,
        ...(p.deleting ? ['being deleted'] : []),
        ...(p.reason ? [`${p.reason}${p.message ? `: ${p.message}` : ''}`] : []),
        ...waiting,
        ...failing,
      ];
      out.push(`- ${code(p.name)} (${line(p.workload)}): ${line(parts.join('; '))}`);
    }
    out.push('');
  }
  if (restarted.length > 0) {
    out.push('### Restarts', '');
    for (const p of restarted) {
      for (const c of p.containers.filter((x) => x.restartCount > 0)) {
        const last = c.lastState;
        const why = last
          ? `, last ended ${[last.reason, last.exitCode !== undefined ? `exit ${last.exitCode}` : undefined, last.finishedAt ? `at ${last.finishedAt}` : undefined].filter(Boolean).join(' ')}`
          : '';
        out.push(`- ${code(`${p.name}/${c.name}`)}: ${plural(c.restartCount, 'restart')}${line(why)}`);
      }
    }
    out.push('');
  }
  return out;
}

function eventsSection(events: EventDigest[] | undefined): string[] {
  if (!events) return ['## Events', '', 'Not collected (see below).'];
  const warnings = events.filter((e) => e.type === 'Warning');
  const out = [`## Events: ${events.length}, ${plural(warnings.length, 'warning')}`, ''];
  const grouped = new Map<string, { e: EventDigest; count: number }>();
  for (const e of warnings) {
    const key = JSON.stringify([e.reason, e.object, e.message]);
    const seen = grouped.get(key);
    if (seen) {
      seen.count += e.count;
      seen.e = e;
    } else grouped.set(key, { e, count: e.count });
  }
  // Warnings first, most repeated first; the normal events are in events.json.
  const sorted = [...grouped.values()].sort((a, b) => b.count - a.count);
  for (const { e, count } of sorted.slice(0, MAX_WARNINGS)) {
    out.push(
      `- ${count}× ${line(e.reason)} ${code(e.object)}: ${line(e.message)}${e.time ? ` (last ${line(e.time)})` : ''}`,
    );
  }
  if (sorted.length > MAX_WARNINGS)
    out.push(`- … and ${sorted.length - MAX_WARNINGS} more kinds of warning (events.json)`);
  if (warnings.length === 0) out.push('No warnings.');
  out.push('');
  return out;
}

function nodesSection(nodes: NodeDigest[] | undefined): string[] {
  if (!nodes) return ['## Nodes', '', 'Not collected (see below).', ''];
  const sick = nodes.filter((n) => n.problems.length > 0 || n.unschedulable);
  const out = [`## Nodes: ${nodes.length}, ${sick.length} with problems`, ''];
  for (const n of sick) {
    const problems = [...n.problems, ...(n.unschedulable ? ['unschedulable (cordoned)'] : [])];
    out.push(`- ${code(n.name)}: ${line(problems.join('; '))}`);
  }
  if (sick.length === 0) out.push('All nodes Ready, no pressure.');
  out.push('');
  return out;
}

function conditionsText(status: unknown): string {
  const s = typeof status === 'object' && status !== null ? (status as Record<string, unknown>) : {};
  const conditions = Array.isArray(s.conditions) ? s.conditions : [];
  const parts = conditions.map((c) => {
    const x = typeof c === 'object' && c !== null ? (c as Record<string, unknown>) : {};
    const reason = typeof x.reason === 'string' && x.reason ? ` (${x.reason})` : '';
    return `${String(x.type)}=${String(x.status)}${reason}`;
  });
  if (typeof s.phase === 'string') parts.unshift(`phase ${s.phase}`);
  return parts.length > 0
    ? parts.join(', ')
    : status === null || status === undefined
      ? 'no status'
      : 'status without conditions';
}

function resourcesSection(resources: KubeDiagnosticsFindings['resources']): string[] {
  if (resources.length === 0) return [];
  const out = ['## Resources', ''];
  for (const r of resources) {
    out.push(
      r.error !== undefined
        ? `- ${code(r.ref)}: not read: ${line(r.error)}`
        : `- ${code(r.ref)}: ${line(conditionsText(r.status))}${r.file ? ` (${line(r.file)})` : ''}`,
    );
  }
  out.push('');
  return out;
}

function logsSection(logs: KubeDiagnosticsFindings['logs']): string[] {
  if (logs.length === 0) return [];
  const out = ['## Logs of pods not ready or restarted', ''];
  for (const l of logs)
    out.push(l.error !== undefined ? `- ${line(l.file)}: not read: ${line(l.error)}` : `- ${line(l.file)}`);
  out.push('');
  return out;
}

/** summary.md: the namespace on one page (not-ready pods, restarts, warnings, node problems, what failed). */
export function renderKubeSummary(f: KubeDiagnosticsFindings): string {
  const when = new Date(f.collectedAt).toISOString().slice(0, 19).replace('T', ' ');
  const out = [
    `# Kubernetes diagnostics: namespace ${code(f.namespace)}`,
    '',
    `Collected ${when} UTC${f.context ? ` from context ${code(f.context)}` : ''}.`,
    '',
    ...podsSection(f.pods),
    ...eventsSection(f.events),
    ...nodesSection(f.nodes),
    ...resourcesSection(f.resources),
    ...logsSection(f.logs),
  ];
  if (f.failures.length > 0) {
    out.push('## Not collected', '');
    for (const x of f.failures) out.push(`- ${line(x.part)}: ${line(x.message)}`);
    out.push('');
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
