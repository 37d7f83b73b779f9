/**
 * The Notation stage of `npm run bench`: wires bench/notation.ts's measurements to this run's
 * servers, inputs and helper processes (its Notary v1 cold runs for the ratio included).
 */
import { runPin, startChildServer, startProxyProcess } from './cli-runs.js';
import { checkDeadline, DIST, log, NOTATION_RUNS, ONE_WAY_DELAY_MS, RESOURCES, track } from './harness.js';
import { notationBench, type NotationFigures } from './notation.js';
import type { BenchSetup } from './setup.js';

/** Measures every Notation figure (needs the Notation set-up: not with `--webhook-only`). */
export async function runNotation(s: BenchSetup): Promise<NotationFigures> {
  const { env, work } = s;
  checkDeadline('Notation runs');
  return notationBench({
    setup: s.notation!,
    registryHost: env.registryHost,
    work,
    resources: RESOURCES,
    runs: NOTATION_RUNS,
    oneWayDelayMs: ONE_WAY_DELAY_MS,
    runPin,
    notaryCold: async (i) => {
      const name = `ratio-notary-${i}`;
      return runPin(await s.cfg(name, env.notaryUrl, await s.freshCache(name)), s.input, s.output, RESOURCES);
    },
    serverPids: env.daemonPids,
    startProxy: startProxyProcess,
    startLightRegistry: () => startChildServer('light-registry.ts', []),
    webhook: { dist: DIST, tempDir: env.tempDir, caPem: env.caPem, track },
    log,
  });
}
