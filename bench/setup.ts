/**
 * The bench's set-up: 50 GUNs × 4 tags signed in the real notary-server and registry (and the
 * Notation images beside them), the bundles written from them, and the configs and cache dirs the
 * runs use; and `--hold`, which leaves it all up for profiling by hand.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageInfo, NotaryEnv } from '../test/support/notary-env.js';
import { shuffled } from './bundle.js';
import { configYaml } from './cli-runs.js';
import { checkDeadline, DIST, GUNS, HOLD_MS, log, ms, RESOURCES, TAGS } from './harness.js';
import { argoLikeInstall, deploymentBundle } from './inputs.js';
import { writeNotationHold } from './notation.js';
import { NOTATION_REPOSITORIES, setUpNotation, type NotationSetup } from './notation-setup.js';

export interface BenchSetup {
  readonly env: NotaryEnv;
  readonly work: string;
  /** Undefined with `--webhook-only`. */
  readonly notation: NotationSetup | undefined;
  /** Every signed Notary v1 image, shuffled (the bundle's order). */
  readonly images: ImageInfo[];
  readonly pins: string[];
  /** The bundle of RESOURCES Deployments, its 10× version, the argo-cd-install-shaped input, and where runs write. */
  readonly input: string;
  readonly input10: string;
  readonly inputArgo: string;
  readonly output: string;
  /** Writes a pin-mode config for `server` named `name`; returns its path. */
  readonly cfg: (name: string, server: string, cacheDir?: string) => Promise<string>;
  /** An empty cache dir named `name` (emptied if an earlier run left one). */
  readonly freshCache: (name: string) => Promise<string>;
}

/** Pushes and signs the Notary v1 images (and the Notation ones unless `webhookOnly`) and writes the inputs. */
export async function setUp(env: NotaryEnv, work: string, webhookOnly: boolean): Promise<BenchSetup> {
  await signNotaryImages(env);
  let notation: NotationSetup | undefined;
  if (!webhookOnly) {
    const tNotation = performance.now();
    checkDeadline('Notation signing');
    notation = await setUpNotation({ registryHost: env.registryHost, dir: join(work, 'notation'), log });
    log(`Notation setup: ${ms(performance.now() - tNotation)} for ${notation.images.length} images in ${NOTATION_REPOSITORIES} repositories`);
  }
  const images = shuffled(Object.values(env.images));
  const pins = [...new Set(Object.values(env.rootKeyIds).flat())];

  const input = join(work, 'bundle.yaml');
  const input10 = join(work, 'bundle-10x.yaml');
  await writeFile(input, deploymentBundle(images, RESOURCES));
  await writeFile(input10, deploymentBundle(images, RESOURCES * 10));
  const inputArgo = join(work, 'argo-like-install.yaml');
  await writeFile(inputArgo, argoLikeInstall(images[0]!.reference));
  const output = join(work, 'out.yaml');
  const cfg = async (name: string, server: string, cacheDir?: string) => {
    const file = join(work, `${name}.yaml`);
    await writeFile(file, configYaml({ server, caFile: env.caFile, registryHost: env.registryHost, pins, cacheDir }));
    return file;
  };
  const freshCache = async (name: string) => {
    const d = join(work, 'cache', name);
    await rm(d, { recursive: true, force: true });
    return d;
  };
  return { env, work, notation, images, pins, input, input10, inputArgo, output, cfg, freshCache };
}

/** GUNS repositories × TAGS tags, pushed and signed in targets/releases ten repositories at a time. */
async function signNotaryImages(env: NotaryEnv): Promise<void> {
  const names = Array.from({ length: GUNS }, (_, g) => `bench/app${String(g).padStart(2, '0')}`);
  const tags = Array.from({ length: TAGS }, (_, t) => `v${t + 1}.0`);
  const tSign = performance.now();
  for (let i = 0; i < names.length; i += 10) {
    checkDeadline('signing');
    await env.addRepos(names.slice(i, i + 10).map((name) => ({ name, tags, sign: 'releases' as const })));
    log(`pushed and signed ${Math.min(i + 10, names.length) * TAGS} images`);
  }
  log(`setup: ${ms(performance.now() - tSign)} for ${GUNS * TAGS} images`);
}

/** `--hold`: leaves the environment up (HOLD_MS at most, or until Ctrl-C) and says how to run against it. */
export async function holdForProfiling(s: BenchSetup): Promise<void> {
  const config = await s.cfg('hold', s.env.notaryUrl, join(s.work, 'cache', 'hold'));
  log(`holding: node ${DIST} --config ${config} -i ${s.input} -o ${s.output} -q   (10×: ${s.input10}); Ctrl-C ends`);
  const n = await writeNotationHold(s.notation!, s.env.registryHost, s.work);
  log(`holding, Notation: node ${DIST} --config ${n.config} -i ${n.input} -o ${s.output} -q`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, HOLD_MS);
    process.once('SIGINT', () => (clearTimeout(timer), resolve()));
    process.once('SIGTERM', () => (clearTimeout(timer), resolve()));
  });
}
