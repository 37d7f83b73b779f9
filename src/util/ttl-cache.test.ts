import { describe, expect, it } from 'vitest';
import { createTtlCache } from './ttl-cache.js';

const later = (ms: number) => new Date(Date.now() + ms);

describe('ttl cache', () => {
  it('shares one load among concurrent gets (single flight)', async () => {
    const c = createTtlCache<number>();
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => {
      loads++;
      await gate;
      return 42;
    };
    const all = Array.from({ length: 20 }, () => c.get('k', load, () => later(1e6)));
    release();
    expect(await Promise.all(all)).toEqual(Array(20).fill(42));
    expect(loads).toBe(1);
    expect(await c.get('k', load, () => later(1e6))).toBe(42);
    expect(loads).toBe(1);
    // 1 load started, 19 joined it, 1 answered from the held entry
    expect(c.stats()).toEqual({ hits: 20, misses: 1, errors: 0, stale: 0 });
  });

  it('counts failed loads as errors and does not keep them', async () => {
    const c = createTtlCache<number>();
    await expect(c.get('k', () => Promise.reject(new Error('down')), () => undefined)).rejects.toThrow('down');
    expect(await c.get('k', async () => 7, () => later(1e6))).toBe(7);
    expect(c.stats()).toEqual({ hits: 0, misses: 2, errors: 1, stale: 0 });
  });

  it('evicts after the TTL', async () => {
    let t = 0;
    const c = createTtlCache<number>({ ttlMs: 1000, now: () => t });
    let loads = 0;
    const load = async () => ++loads;
    await c.get('k', load, () => new Date(1e12));
    t = 999;
    expect(await c.get('k', load, () => new Date(1e12))).toBe(1);
    t = 1000;
    expect(await c.get('k', load, () => new Date(1e12))).toBe(2);
  });

  it('evicts at the signed expiry when that is sooner than the TTL', async () => {
    let t = 0;
    const c = createTtlCache<number>({ ttlMs: 60_000, now: () => t });
    let loads = 0;
    const load = async () => ++loads;
    await c.get('k', load, () => new Date(500));
    t = 499;
    expect(await c.get('k', load, () => new Date(500))).toBe(1);
    t = 500;
    expect(await c.get('k', load, () => new Date(1e12))).toBe(2);
  });

  it('ttlMs 0: never reused, but concurrent gets still share one load', async () => {
    const c = createTtlCache<number>({ ttlMs: 0 });
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => (await gate, ++loads);
    const both = [c.get('k', load, () => undefined), c.get('k', load, () => undefined)];
    release();
    expect(await Promise.all(both)).toEqual([1, 1]);
    expect(c.size).toBe(0);
    expect(await c.get('k', load, () => undefined)).toBe(2);
  });

  it('a load that throws before its first await fails its callers only; the next get loads again', async () => {
    const c = createTtlCache<number>();
    const boom = (): Promise<number> => {
      throw new Error('bad rule');
    };
    await expect(c.get('k', boom, () => undefined)).rejects.toThrow('bad rule');
    expect(await c.get('k', async () => 3, () => undefined)).toBe(3);
    expect(c.stats()).toEqual({ hits: 0, misses: 2, errors: 1, stale: 0 });
  });

  it('delete and clear drop held entries', async () => {
    const c = createTtlCache<string>();
    let loads = 0;
    const get = (k: string) => c.get(k, async () => `${k}${++loads}`, () => undefined);
    await get('a');
    await get('b');
    c.delete('a');
    expect(c.size).toBe(1);
    expect(await get('a')).toBe('a3');
    expect(await get('b')).toBe('b2');
    c.clear();
    expect(c.size).toBe(0);
    expect(await get('b')).toBe('b4');
  });

  it('is LRU-bounded', async () => {
    const c = createTtlCache<string>({ maxEntries: 2 });
    const loads: string[] = [];
    const get = (k: string) => c.get(k, async () => (loads.push(k), k), () => later(1e6));
    await get('a');
    await get('b');
    await get('a'); // a is now most recent
    await get('c'); // evicts b
    expect(c.size).toBe(2);
    await get('a');
    await get('b');
    expect(loads).toEqual(['a', 'b', 'c', 'b']);
  });

  it('does not cache failures by default, and caches them briefly when asked', async () => {
    let n = 0;
    const fail = async (): Promise<number> => {
      n++;
      throw new Error('down');
    };
    const c = createTtlCache<number>();
    await expect(c.get('k', fail, () => undefined)).rejects.toThrow('down');
    await expect(c.get('k', fail, () => undefined)).rejects.toThrow('down');
    expect(n).toBe(2);
    let t = 0;
    const brief = createTtlCache<number>({ failureTtlMs: 100, now: () => t });
    n = 0;
    await expect(brief.get('k', fail, () => undefined)).rejects.toThrow('down');
    await expect(brief.get('k', fail, () => undefined)).rejects.toThrow('down');
    expect(n).toBe(1);
    t = 100;
    await expect(brief.get('k', fail, () => undefined)).rejects.toThrow('down');
    expect(n).toBe(2);
  });
});

describe('ttl cache: callers that abort', () => {
  /** A load that waits for `release` or its own abort; records whether it was aborted. */
  function gatedLoad() {
    const seen = { loads: 0, aborted: false };
    let release!: (v: number) => void;
    const gate = new Promise<number>((r) => (release = r));
    const load = (signal: AbortSignal) => {
      seen.loads++;
      return new Promise<number>((resolve, reject) => {
        signal.addEventListener('abort', () => {
          seen.aborted = true;
          reject(signal.reason);
        });
        void gate.then(resolve);
      });
    };
    return { seen, load, release: (v: number) => release(v) };
  }

  it('an aborted waiter stops waiting at once; the shared load goes on for the others', async () => {
    const c = createTtlCache<number>({ failureTtlMs: 60_000 });
    const g = gatedLoad();
    const a = new AbortController();
    const b = new AbortController();
    const first = c.get('k', g.load, () => later(1e6), a.signal);
    const second = c.get('k', g.load, () => later(1e6), b.signal);
    a.abort(new Error('deadline of review A'));
    await expect(first).rejects.toThrow('deadline of review A');
    expect(g.seen.aborted).toBe(false);
    g.release(42);
    expect(await second).toBe(42);
    expect(g.seen.loads).toBe(1);
  });

  it('the shared load is aborted when every waiter aborted, and that failure is not remembered', async () => {
    const c = createTtlCache<number>({ failureTtlMs: 60_000 });
    const g = gatedLoad();
    const ctrls = [new AbortController(), new AbortController()];
    const waits = ctrls.map((x) => c.get('k', g.load, () => later(1e6), x.signal));
    ctrls[0]!.abort(new Error('a'));
    expect(g.seen.aborted).toBe(false);
    ctrls[1]!.abort(new Error('b'));
    await expect(waits[1]).rejects.toThrow('b');
    expect(g.seen.aborted).toBe(true);
    await expect(waits[0]).rejects.toThrow('a');
    await new Promise((r) => setTimeout(r, 0));
    expect(await c.get('k', async () => 7, () => later(1e6))).toBe(7); // not a cached failure
  });

  it('a waiter without a signal keeps the shared load running', async () => {
    const c = createTtlCache<number>();
    const g = gatedLoad();
    const x = new AbortController();
    const aborting = c.get('k', g.load, () => later(1e6), x.signal);
    const patient = c.get('k', g.load, () => later(1e6));
    x.abort(new Error('gone'));
    await expect(aborting).rejects.toThrow('gone');
    expect(g.seen.aborted).toBe(false);
    g.release(5);
    expect(await patient).toBe(5);
  });

  it('an already aborted signal starts nothing', async () => {
    const c = createTtlCache<number>();
    const g = gatedLoad();
    await expect(c.get('k', g.load, () => later(1e6), AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
    expect(g.seen.loads).toBe(0);
  });
});

describe('ttl cache: stale if error', () => {
  const transport = new Error('connect ECONNREFUSED');
  const verification = new Error('bad signature');
  function clockCache(staleIfErrorMs: number) {
    let t = 0;
    const c = createTtlCache<string>({ ttlMs: 1000, staleIfErrorMs, isTransportError: (e) => e === transport, now: () => t });
    return { c, tick: (ms: number) => (t += ms), at: (ms: number) => new Date(ms) };
  }
  const fails = (e: Error) => () => Promise.reject(e);

  it('answers the earlier value on a transport error within TTL + staleIfError, says so, and counts it', async () => {
    const { c, tick, at } = clockCache(5000);
    expect(await c.get('k', async () => 'v1', () => at(1e9))).toBe('v1');
    tick(1500); // past the TTL
    const why: unknown[] = [];
    expect(await c.get('k', fails(transport), () => at(1e9), undefined, (e) => why.push(e))).toBe('v1');
    expect(why).toEqual([transport]);
    expect(c.stats().stale).toBe(1);
    tick(4600); // past TTL + staleIfError (6000 ms after the load)
    await expect(c.get('k', fails(transport), () => at(1e9))).rejects.toBe(transport);
  });

  it('never when off', async () => {
    const off = clockCache(0);
    await off.c.get('k', async () => 'v1', () => off.at(1e9));
    off.tick(1500);
    await expect(off.c.get('k', fails(transport), () => off.at(1e9))).rejects.toBe(transport);
  });

  it('never past the expiry signed into the data', async () => {
    const { c, tick, at } = clockCache(60_000);
    await c.get('k', async () => 'v1', () => at(3000)); // the earliest role expires at t=3000
    tick(2000);
    expect(await c.get('k', fails(transport), () => at(3000))).toBe('v1');
    tick(1000); // t=3000: expired
    await expect(c.get('k', fails(transport), () => at(3000))).rejects.toBe(transport);
  });

  it('never for a verification failure, which drops the held value: a later transport error is not answered stale either', async () => {
    const { c, tick, at } = clockCache(5000);
    await c.get('k', async () => 'v1', () => at(1e9));
    tick(1500);
    await expect(c.get('k', fails(verification), () => at(1e9))).rejects.toBe(verification);
    expect(c.size).toBe(0);
    await expect(c.get('k', fails(transport), () => at(1e9))).rejects.toBe(transport);
    expect(c.stats().stale).toBe(0);
  });

  it('a load its callers abandoned leaves the held value as it was', async () => {
    const { c, tick, at } = clockCache(5000);
    await c.get('k', async () => 'v1', () => at(1e9));
    tick(1500);
    const x = new AbortController();
    const abandoned = c.get('k', (signal) => new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(verification))), () => at(1e9), x.signal);
    x.abort(new Error('deadline'));
    await expect(abandoned).rejects.toThrow('deadline');
    await new Promise((r) => setTimeout(r, 0));
    expect(await c.get('k', fails(transport), () => at(1e9))).toBe('v1');
  });

  it('a fresh load replaces the stale value', async () => {
    const { c, tick, at } = clockCache(5000);
    await c.get('k', async () => 'v1', () => at(1e9));
    tick(1500);
    expect(await c.get('k', async () => 'v2', () => at(1e9))).toBe('v2');
    expect(await c.get('k', fails(transport), () => at(1e9))).toBe('v2');
  });
});

describe('ttl cache: stale if error, shared flights', () => {
  it('every caller of a shared failed load gets the stale answer', async () => {
    let t = 0;
    const transport = new Error('down');
    const c = createTtlCache<string>({ ttlMs: 1000, staleIfErrorMs: 5000, isTransportError: (e) => e === transport, now: () => t });
    await c.get('k', async () => 'v1', () => new Date(1e9));
    t = 1500;
    let fail!: (e: unknown) => void;
    const gate = new Promise<string>((_, reject) => (fail = reject));
    const stale: unknown[] = [];
    const both = [c.get('k', () => gate, () => new Date(1e9), undefined, (e) => stale.push(e)), c.get('k', () => gate, () => new Date(1e9), undefined, (e) => stale.push(e))];
    fail(transport);
    expect(await Promise.all(both)).toEqual(['v1', 'v1']);
    expect(stale).toEqual([transport, transport]);
  });
});
