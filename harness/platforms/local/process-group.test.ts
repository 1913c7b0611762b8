import { afterEach, describe, expect, it } from 'vitest';
import { groupMembers, waitFor } from '../../testing/leftovers.js';
import { ProcessGroup } from './process-group.js';

describe('ProcessGroup', () => {
  const started: number[] = [];
  afterEach(() => {
    for (const pgid of started.splice(0)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });

  it('stopAll stops every member with its grandchildren, then refuses new ones', async () => {
    const group = new ProcessGroup();
    const polite = await group.start('polite', ['sh', '-c', 'sleep 30 & sleep 30 & wait'], {});
    // Ignores SIGTERM, as do its children: only the SIGKILL after the grace time ends it.
    const stubborn = await group.start(
      'stubborn',
      ['sh', '-c', "trap '' TERM; sleep 30 & sleep 30 & wait"],
      {},
    );
    started.push(polite.pid, stubborn.pid);
    for (const p of [polite, stubborn]) {
      await waitFor(
        async () => (await groupMembers(p.pid)).length >= 3 || undefined,
        `the sleeps of ${p.pid}`,
      );
    }
    expect(group.list().map((m) => m.name)).toEqual(['polite', 'stubborn']);

    await group.stopAll(300);

    expect(polite.running).toBe(false);
    expect(stubborn.running).toBe(false);
    expect(await stubborn.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await groupMembers(polite.pid)).toEqual([]);
    expect(await groupMembers(stubborn.pid)).toEqual([]);
    expect(group.list()).toEqual([]);
    await expect(group.start('late', ['true'], {})).rejects.toThrow(/stopped/);
  }, 20_000);

  it('refuses a name in use by a running member and frees it when the member exits', async () => {
    const group = new ProcessGroup();
    const first = await group.start('db', ['sleep', '30'], {});
    started.push(first.pid);
    await expect(group.start('db', ['true'], {})).rejects.toThrow(/already in use/);
    await first.stop({ graceMs: 1000 });
    const second = await group.start('db', ['sh', '-c', 'exit 0'], {});
    started.push(second.pid);
    expect(await second.exited).toEqual({ code: 0, signal: null });
    await waitFor(async () => group.list().length === 0 || undefined, 'the member to leave');
    await group.stopAll(1000);
  }, 20_000);
});
