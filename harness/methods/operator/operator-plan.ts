import { errorMessage } from '../../common/errors.js';
import type { PlannedStep, PlannedSteps } from '../../common/planned-steps.js';
import type { CellPlan } from '../../config/types.js';
import { RUN_LABEL } from '../helm/helm-commands.js';
import { describeExpression } from './operator-expressions.js';
import {
  describeObject,
  type KubeObject,
  loadObjects,
  loadResource,
  type OperatorSpec,
} from './operator-resources.js';

/**
 * The API calls the operator method would make for a cell (`run --dry-run`). Manifests are read
 * to name their objects; one that cannot be read is named by its file.
 */
export function operatorPlan(spec: OperatorSpec, cell: CellPlan, namespace: string): PlannedSteps {
  const { from, to } = cell.path;
  const manager = `server-side, fieldManager ${spec.fieldManager}, force`;
  const steps: PlannedStep[] = [
    {
      phase: 'install',
      api: `APPLY v1 Namespace/${namespace} (${manager})`,
      note: `label ${RUN_LABEL}=<run id>; skipped when the platform gives the cell a namespace`,
    },
  ];
  for (const file of spec.manifests) {
    try {
      for (const obj of loadObjects(file, from))
        steps.push({ phase: 'install', api: `APPLY ${name(obj)} (${manager})` });
    } catch (err) {
      steps.push({
        phase: 'install',
        api: `APPLY every object in ${file} (${manager})`,
        note: errorMessage(err),
      });
    }
  }
  let resource: KubeObject | undefined;
  try {
    resource = loadResource(spec, from);
  } catch (err) {
    steps.push({ phase: 'install', note: errorMessage(err) });
  }
  const target = resource ? name(resource) : `the object in ${spec.resource}`;
  const field = spec.versionPath.join('.');
  const wait = (phase: string, version: string): PlannedStep => ({
    phase,
    api: `WAIT ready: ${spec.ready.map((e) => describeExpression(e, version)).join(', ')} (GET ${target} every poll, up to ${spec.timeoutSeconds} s)`,
    ...(spec.failed.length > 0
      ? { note: `fails at once on ${spec.failed.map((e) => describeExpression(e, version)).join(', ')}` }
      : {}),
  });
  const patch = (phase: string, version: string): PlannedStep => ({
    phase,
    api: `PATCH ${target} ${field}=${version} (merge, fieldManager ${spec.fieldManager})`,
  });
  steps.push(
    { phase: 'install', api: `APPLY ${target} ${field}=${from} (${manager})` },
    wait('install', from),
    patch('upgrade', to),
    wait('upgrade', to),
    patch('rollback', from),
    wait('rollback', from),
    { phase: 'diagnostics', api: `GET ${target} → operator-resource.json (redacted)` },
    { phase: 'teardown', api: `DELETE ${target}` },
    { phase: 'teardown', api: `DELETE v1 Namespace/${namespace}`, note: 'only when the method created it' },
  );
  return { steps };
}

function name(obj: KubeObject): string {
  return describeObject(obj);
}
