import type { PathConfig } from '../../config/types.js';
import {
  type HelmPlanInput,
  helmEnv,
  helmPlan,
  historyCommand,
  repoAddCommand,
  rollbackCommand,
  uninstallCommand,
  upgradeCommand,
  versionCommand,
} from './helm-commands.js';

/** What a helm cell would run, in order, per step. Placeholders stand for what only the run knows. */
export interface HelmDryRun {
  release: string;
  namespace: string;
  /** Added to every command's environment. */
  env: Record<string, string>;
  install: string[][];
  upgrade: string[][];
  rollback: string[][];
  teardown: string[][];
}

export const KUBECONFIG_PLACEHOLDER = '<kubeconfig of the platform>';
export const STATE_DIR_PLACEHOLDER = '<cell artifacts>/helm';
/** The platform's context (`kind-<cluster>`, `k3d-<cluster>`, k3s's `default`, an existing kubeconfig's current-context). */
export const CONTEXT_PLACEHOLDER = '<context of the platform>';

/** Builds the commands of `run --dry-run` from the same argv builders the method runs. */
export function planDryRun(input: HelmPlanInput & { path: PathConfig }): HelmDryRun {
  const plan = helmPlan(input);
  const { from, to } = input.path;
  const repoAdd = repoAddCommand(plan);
  return {
    release: plan.release,
    namespace: plan.namespace,
    env: helmEnv(KUBECONFIG_PLACEHOLDER, STATE_DIR_PLACEHOLDER),
    install: [
      versionCommand(plan),
      ...(repoAdd ? [repoAdd] : []),
      upgradeCommand(plan, from),
      historyCommand(plan),
    ],
    upgrade: [upgradeCommand(plan, to), historyCommand(plan)],
    rollback: [historyCommand(plan), rollbackCommand(plan, `<revision of ${from}>`), historyCommand(plan)],
    teardown: [uninstallCommand(plan)],
  };
}
