import { describe, expect, it } from 'vitest';
import { createFetchLimiter } from './fetch-limit.js';

/** A task that runs until released; counts how many run at once. */
function tasks() {
  let running = 0;
  let peak = 0;
  const releases: Array<() => void> = [];
  const task = () =>
    new Promise<void>((resolve) => {
      running++;
      peak = Math.max(peak, running);
      releases.push(() => {
        running--;
        resolve();
      });
    });
  return { task, releases, peak: () => peak, running: () => running };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('fetch limiter', () => {
  it('runs at most the bound per server, the rest in order; other servers are not held up', async () => {
    const l = createFetchLimiter(2);
    const t = tasks();
    const all = Array.from({ length: 5 }, () => l.run('https://a', t.task));
    const other = l.run('https://b', t.task);
    await tick();
    expect(t.running()).toBe(3); // 2 for a, 1 for b
    expect(l.load('https://a')).toEqual({ running: 2, waiting: 3 });
    while (t.releases.length > 0) {
      t.releases.shift()!();
      await tick();
    }
    await Promise.all([...all, other]);
    expect(t.peak()).toBe(3);
    expect(l.load('https://a')).toEqual({ running: 0, waiting: 0 });
  });

  it('a queued fetch whose caller aborted leaves the queue and is never run', async () => {
    const l = createFetchLimiter(1);
    const t = tasks();
    const first = l.run('s', t.task);
    const x = new AbortController();
    let ran = false;
    const queued = l.run(
      's',
      async () => {
        ran = true;
      },
      x.signal,
    );
    const honest = l.run('s', t.task);
    await tick();
    expect(l.load('s').waiting).toBe(2);
    x.abort(new Error('review deadline'));
    await expect(queued).rejects.toThrow('review deadline');
    expect(l.load('s').waiting).toBe(1);
    t.releases.shift()!();
    await first;
    await tick();
    t.releases.shift()!();
    await honest;
    expect(ran).toBe(false);
  });

  it('refuses a bound below 1', () => {
    expect(() => createFetchLimiter(0)).toThrow(RangeError);
  });
});
