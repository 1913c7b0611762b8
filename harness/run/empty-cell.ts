import { emptyErrorBudget } from '../analyze/index.js';
import type { CellRecord, CellStatus } from '../common/run-record.js';
import type { CellPlan } from '../config/types.js';

/** The record of a cell that never ran (interrupted before its turn): nothing measured, nothing invented. */
export function emptyCellRecord(cell: CellPlan, status: CellStatus, reason: string, at: number): CellRecord {
  return {
    id: cell.id,
    axes: cell.axes,
    status,
    reason,
    ...(cell.expect ? { expected: cell.expect } : {}),
    matchedExpectation: false,
    startedAt: at,
    endedAt: at,
    phases: [],
    events: [],
    downtimeSeconds: 0,
    downtime: [],
    errorBudget: emptyErrorBudget(0, null),
    requests: { total: 0, failed: 0, dropped: 0, byOutcome: {} },
    latency: {},
    versions: { servedBy: {}, mixedWindow: null },
    rollback: { attempted: false, succeeded: null, seconds: null },
    dataIntegrity: { acknowledged: 0, verified: 0, lost: 0, unverified: 0, lostKeys: [] },
    load: {
      targetRate: 0,
      achievedRate: 0,
      scheduled: 0,
      sent: 0,
      dropped: 0,
      scheduleLagP99Ms: 0,
      ok: false,
    },
    checks: [],
    error: { phase: 'run', message: reason },
    artifactsDir: '',
  };
}
