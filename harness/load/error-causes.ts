/** What the drivers read of an error to classify it. */
export interface ErrorLike {
  code?: unknown;
  name?: string;
  message?: string;
}

/** The error, its `cause` chain and the members of AggregateErrors (connect attempts). */
export function causes(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 16) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null) continue;
    out.push(e as ErrorLike);
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return out;
}
