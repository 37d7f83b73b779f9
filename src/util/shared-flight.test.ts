import { describe, expect, it } from 'vitest';
import { flightOf, joinFlight } from './shared-flight.js';

function pending<V>(): { promise: Promise<V>; resolve: (v: V) => void } {
  let resolve!: (v: V) => void;
  const promise = new Promise<V>((r) => (resolve = r));
  return { promise, resolve };
}

describe('shared flight', () => {
  it('a caller that aborts stops waiting; the load goes on while another caller waits', async () => {
    const load = pending<string>();
    const controller = new AbortController();
    const flight = flightOf(load.promise, controller);
    const a = new AbortController();
    const b = new AbortController();
    const first = joinFlight(flight, a.signal);
    const second = joinFlight(flight, b.signal);
    a.abort(new Error('a gave up'));
    await expect(first).rejects.toThrow('a gave up');
    expect(controller.signal.aborted).toBe(false);
    load.resolve('v');
    await expect(second).resolves.toBe('v');
  });

  it('the load is aborted when every caller has aborted, never once a caller without a signal joined', async () => {
    const controller = new AbortController();
    const flight = flightOf(pending<string>().promise, controller);
    const a = new AbortController();
    void joinFlight(flight, a.signal).catch(() => undefined);
    a.abort();
    expect(controller.signal.aborted).toBe(true);

    const keep = new AbortController();
    const kept = flightOf(pending<string>().promise, keep);
    const c = new AbortController();
    void joinFlight(kept, c.signal).catch(() => undefined);
    void joinFlight(kept, undefined);
    c.abort();
    expect(keep.signal.aborted).toBe(false);
  });

  it('a caller whose signal has already aborted is refused at once', async () => {
    const controller = new AbortController();
    const flight = flightOf(pending<string>().promise, controller);
    const gone = AbortSignal.abort(new Error('too late'));
    await expect(joinFlight(flight, gone)).rejects.toThrow('too late');
    expect(controller.signal.aborted).toBe(true);
  });
});
