import { join } from 'node:path';
import { errorMessage } from '../../common/errors.js';
import type { PlannedStep, PlannedSteps } from '../../common/planned-steps.js';
import type { CellPlan } from '../../config/types.js';
import { RUN_LABEL } from '../helm/helm-commands.js';
import { OperatorChart } from './operator-chart.js';
import { describeExpression } from './operator-expressions.js';
import { safeUrl } from './operator-fetch.js';
import {
  describeObject,
  expandEntry,
  isUrl,
  type KubeObject,
  loadObjects,
  loadResource,
  type OperatorSpec,
  type TemplateVars,
  templateVars,
} from './operator-resources.js';

export interface OperatorPlanOptions {
  /** For the chart's commands; default `helm`. */
  helmPath?: string;
  runId?: string;
  scenarioName?: string;
  scenarioDir?: string;
}

/**
 * The API calls (and helm commands) the operator method would make for a cell (`run --dry-run`).
 * Manifest files are read to name their objects; URLs are named, not fetched; a file that cannot
 * be read is named by its path.
 */
export function operatorPlan(
  spec: OperatorSpec,
  cell: CellPlan,
  namespace: string,
  options: OperatorPlanOptions = {},
): PlannedSteps {
  const { from, to } = cell.path;
  const manager = `server-side, fieldManager ${spec.fieldManager}, force`;
  const steps: PlannedStep[] = [
    {
      phase: 'install',
      api: `APPLY v1 Namespace/${namespace} (${manager})`,
      note: `label ${RUN_LABEL}=<run id>; skipped when the platform gives the cell a namespace`,
    },
  ];
  const vars = (version: string, phase: string): TemplateVars | undefined => {
    try {
      return templateVars(spec, version);
    } catch (err) {
      steps.push({ phase, note: errorMessage(err) });
      return undefined;
    }
  };
  const chart = spec.chart
    ? new OperatorChart({
        config: spec.chart,
        scenarioName: options.scenarioName ?? 'scenario',
        scenarioDir: options.scenarioDir ?? '.',
        runId: options.runId ?? '<run id>',
        cellId: cell.id,
        axes: cell.axes,
        namespace: spec.chartNamespace ?? namespace,
        timeoutSeconds: spec.timeoutSeconds,
        helmPath: options.helmPath ?? 'helm',
        kube: { kubeconfigPath: '<kubeconfig>' },
        stateDir: join('<cell>', 'operator-helm'),
        logFile: join('<cell>', 'logs', 'operator-helm.log'),
      })
    : undefined;
  const operatorSteps = (phase: string, v: TemplateVars | undefined) => {
    if (!v) return;
    for (const [i, entry] of spec.manifests.entries()) {
      try {
        const where = expandEntry(entry, v, `operator.manifests[${i}]`);
        if (isUrl(where)) {
          steps.push({
            phase,
            api: `APPLY every object in ${safeUrl(where)} (${manager})`,
            note: `operator ${v.operatorVersion}; fetched over http(s) (30 s, 5 MB at most)`,
          });
          continue;
        }
        for (const obj of loadObjects(where, v))
          steps.push({ phase, api: `APPLY ${describeObject(obj)} (${manager})` });
      } catch (err) {
        steps.push({ phase, api: `APPLY every object in ${entry} (${manager})`, note: errorMessage(err) });
      }
    }
    if (chart) {
      try {
        steps.push({ phase, argv: chart.deployCommand(v), note: `operator ${v.operatorVersion}` });
      } catch (err) {
        steps.push({ phase, note: errorMessage(err) });
      }
    }
  };

  const fromVars = vars(from, 'install');
  operatorSteps('install', fromVars);
  let resource: KubeObject | undefined;
  try {
    if (fromVars) resource = loadResource(spec, fromVars);
  } catch (err) {
    steps.push({ phase: 'install', note: errorMessage(err) });
  }
  const target = resource ? describeObject(resource) : `the object in ${spec.resource}`;
  const field = spec.versionPath.join('.');
  const wait = (phase: string, version: string): PlannedStep => ({
    phase,
    api: `WAIT ready: ${spec.ready.map((e) => describeExpression(e, version)).join(', ')} (GET ${target}, then WATCH it, up to ${spec.timeoutSeconds} s)`,
    ...(spec.failed.length > 0
      ? { note: `fails at once on ${spec.failed.map((e) => describeExpression(e, version)).join(', ')}` }
      : {}),
  });
  const patch = (phase: string, version: string) =>
    steps.push({
      phase,
      api: `PATCH ${target} ${field}=${version} (merge, fieldManager ${spec.fieldManager})`,
    });
  steps.push(
    { phase: 'install', api: `APPLY ${target} ${field}=${from} (${manager})` },
    wait('install', from),
  );
  if (spec.upgrade !== 'resource') operatorSteps('upgrade', vars(to, 'upgrade'));
  if (spec.upgrade !== 'operator') patch('upgrade', to);
  steps.push(wait('upgrade', to));
  if (spec.upgrade !== 'operator') patch('rollback', from);
  if (spec.upgrade !== 'resource') operatorSteps('rollback', fromVars);
  steps.push(
    wait('rollback', from),
    { phase: 'diagnostics', api: `GET ${target} → operator-resource.json (redacted)` },
    { phase: 'teardown', api: `DELETE ${target}` },
  );
  if (chart) steps.push({ phase: 'teardown', argv: chart.uninstallCommand() });
  steps.push({
    phase: 'teardown',
    api: `DELETE v1 Namespace/${namespace}`,
    note: 'only when the method created it',
  });
  return { steps };
}
