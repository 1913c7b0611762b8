import type { CellPlan, MethodName, PlatformName, StrategyName } from '../config/types.js';

/** A cell as the matrix expander would make it, for tests of one platform or method. */
export function testCellPlan(init: {
  id: string;
  platform: PlatformName;
  method: MethodName;
  from: string;
  to: string;
  strategy?: StrategyName;
}): CellPlan {
  const { id, platform, method, from, to, strategy = 'rolling' } = init;
  return {
    id,
    platform,
    method,
    strategy,
    path: { from, to },
    rollback: 'always',
    profile: 'default',
    custom: {},
    axes: { platform, method, from, to },
  };
}
