import { describe, expect, it } from 'vitest';
import { deadline, withDeadline } from './deadline.js';

describe('deadline', () => {
  it('aborts with a TimeoutError after ms', async () => {
    const d = deadline(10);
    await new Promise((r) => d.signal.addEventListener('abort', r, { once: true }));
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts with the parent reason when the parent aborts first', () => {
    const parent = new AbortController();
    const d = deadline(60_000, parent.signal);
    parent.abort(new Error('caller gave up'));
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as Error).message).toBe('caller gave up');
    d.done();
  });

  it('is aborted at once when the parent already is', () => {
    const parent = new AbortController();
    parent.abort('gone');
    expect(deadline(60_000, parent.signal).signal.reason).toBe('gone');
  });

  it('never aborts once done: neither the timer nor the parent reach it', async () => {
    const parent = new AbortController();
    const d = deadline(5, parent.signal);
    d.done();
    parent.abort();
    await new Promise((r) => setTimeout(r, 20));
    expect(d.signal.aborted).toBe(false);
  });

  it('withDeadline clears the deadline when the work settles, resolved or rejected', async () => {
    let seen: AbortSignal | undefined;
    await expect(withDeadline(5, undefined, async (s) => ((seen = s), 7))).resolves.toBe(7);
    await expect(withDeadline(5, undefined, async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen?.aborted).toBe(false);
  });
});
