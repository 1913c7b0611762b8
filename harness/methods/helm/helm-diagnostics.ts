import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../common/errors.js';
import { describeArgv, runCommand } from '../../common/exec.js';
import { redact, redactDeep } from '../../common/redact.js';
import { getValuesCommand, type HelmPlan, historyCommand, statusCommand } from './helm-commands.js';

/** Keys whose values (and everything under them) never reach a report. */
const SENSITIVE_KEY = /pass(word|wd|phrase)|secret|token|api[_-]?key|private[_-]?key|credential|certificate/i;

/**
 * A copy of chart values with secrets hidden: every leaf under a sensitive-looking key becomes
 * `***`, and every other string goes through `redact` (URLs with passwords, bearer tokens).
 */
export function redactValues(value: unknown, sensitive = false): unknown {
  if (Array.isArray(value)) return value.map((v) => redactValues(v, sensitive));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, redactValues(v, sensitive || SENSITIVE_KEY.test(k))]),
    );
  }
  if (sensitive && value !== null && value !== '') return '***';
  return typeof value === 'string' ? redact(value) : value;
}

/**
 * What of `helm status -o json` is safe and useful: the release's state and chart metadata. The
 * rendered manifest (Secrets in base64), the chart's files and the user values are left out; the
 * values are written redacted on their own.
 */
export function summarizeStatus(status: unknown): unknown {
  if (status === null || typeof status !== 'object') return status;
  const s = status as Record<string, unknown>;
  const chart = s.chart as { metadata?: unknown } | undefined;
  return redactDeep({
    name: s.name,
    namespace: s.namespace,
    version: s.version,
    info: s.info,
    chart: chart?.metadata,
  });
}

export interface HelmDiagnosticsInput {
  plan: HelmPlan;
  env: Record<string, string>;
  /** The commands run so far, with their outcome. */
  commands: readonly unknown[];
  timeoutMs: number;
  logFile: string;
}

/** The output is not logged: status and values hold secrets; what is kept is redacted. */
async function helmJson(argv: string[], input: HelmDiagnosticsInput): Promise<unknown> {
  let exitCode = -1;
  try {
    const result = await runCommand(argv, { env: input.env, timeoutMs: input.timeoutMs });
    exitCode = result.exitCode;
    return JSON.parse(result.stdout) as unknown;
  } finally {
    await appendFile(
      input.logFile,
      `$ ${describeArgv(argv)}\n# exit ${exitCode} (output in diagnostics)\n`,
    ).catch(() => {});
  }
}

/**
 * Writes helm-history.json, helm-status.json, helm-values.json (redacted) and helm-commands.json
 * into `dir`. Best effort: a command that fails leaves `<name>.error.txt` instead.
 */
export async function collectHelmDiagnostics(dir: string, input: HelmDiagnosticsInput): Promise<void> {
  const { plan } = input;
  const write = (name: string, data: unknown) =>
    writeFile(join(dir, name), `${JSON.stringify(data, null, 2)}\n`);
  await write('helm-commands.json', redactDeep(input.commands));
  const files: Array<[string, string[], (json: unknown) => unknown]> = [
    ['helm-history', historyCommand(plan), (json) => redactDeep(json)],
    ['helm-status', statusCommand(plan), summarizeStatus],
    ['helm-values', getValuesCommand(plan), (json) => redactValues(json)],
  ];
  for (const [name, argv, clean] of files) {
    try {
      await write(`${name}.json`, clean(await helmJson(argv, input)));
    } catch (err) {
      await writeFile(join(dir, `${name}.error.txt`), `${redact(errorMessage(err))}\n`).catch(() => {});
    }
  }
}
