/**
 * One benchmark task in its own process (argv[2]: the task as JSON): a generator then has an event
 * loop and a heap to itself, and its CPU is its own. The result is the last stdout line, after
 * RESULT_MARKER. The process exits by itself at the end, or when its deadline (argv[3], ms) passes.
 */
import { runAutocannon } from './autocannon-task.js';
import { runFold } from './fold-task.js';
import { runOurs } from './ours-task.js';
import { type BenchResult, type BenchTask, RESULT_MARKER } from './types.js';
import { runUndici } from './undici-task.js';

async function run(task: BenchTask): Promise<BenchResult> {
  switch (task.kind) {
    case 'ours':
      return runOurs(task);
    case 'autocannon':
      return runAutocannon(task);
    case 'undici':
      return runUndici(task);
    case 'fold':
      return runFold(task);
  }
}

const deadlineMs = Number(process.argv[3] ?? 600_000);
setTimeout(() => {
  process.stderr.write(`bench child: deadline of ${deadlineMs} ms passed\n`);
  process.exit(3);
}, deadlineMs).unref();

try {
  const task = JSON.parse(process.argv[2] ?? '') as BenchTask;
  const result = await run(task);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (err: unknown) {
  process.stderr.write(
    `bench child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}
