import { isPlainObject } from './json-util.js';
import type { ConditionInput } from './types.js';

export interface Condition extends ConditionInput {
  lastTransitionTime: string;
  lastUpdateTime?: string;
  observedGeneration?: number;
  [key: string]: unknown;
}

/**
 * Sets conditions by type, as controllers do: lastTransitionTime changes only when the status
 * does; conditions of other types are kept in place.
 */
export function mergeConditions(
  existing: unknown,
  inputs: ConditionInput[],
  time: string,
  extra: { observedGeneration?: number; lastUpdateTime?: boolean } = {},
): Condition[] {
  const out: Condition[] = Array.isArray(existing)
    ? existing.filter((c): c is Condition => isPlainObject(c) && typeof c.type === 'string')
    : [];
  for (const input of inputs) {
    const index = out.findIndex((c) => c.type === input.type);
    const previous = index >= 0 ? out[index] : undefined;
    const next: Condition = {
      ...previous,
      type: input.type,
      status: input.status,
      reason: input.reason ?? previous?.reason ?? input.type,
      message: input.message ?? (input.reason === undefined ? (previous?.message ?? '') : ''),
      lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : time,
      ...(extra.lastUpdateTime ? { lastUpdateTime: time } : {}),
      ...(extra.observedGeneration !== undefined ? { observedGeneration: extra.observedGeneration } : {}),
    };
    if (index >= 0) out[index] = next;
    else out.push(next);
  }
  return out;
}
