/** The bench's input order: images shuffled deterministically; the Deployment stream itself is inputs.ts's. */

/** Deterministic shuffle (so the bundle's image order is neither grouped by GUN nor interleaved). */
export function shuffled<T>(xs: readonly T[], seed = 42): T[] {
  const a = xs.slice();
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** The Deployment stream both trust systems are measured on (bench/inputs.ts). */
export { deploymentBundle as bundle } from './inputs.js';
