/**
 * The KRM function: a ResourceList (or plain YAML stream) in, the pinned ResourceList (or stream)
 * out. `runKrm` is its stages in order: read input → load policy → collect uses → evaluate →
 * check the lock (`--locked`) → apply pins → provenance annotation → write → update the lock file.
 * Any failure ends in `failClosed`, the one place that says what is written.
 */
import { loadConfigFile, parseFunctionConfig } from '../config/load.js';
import type { Spec } from '../config/schema.js';
import type { ImageOutcome } from '../engine/evaluate.js';
import type { Resolver } from '../engine/port.js';
import { PinError, toPinError } from '../errors/errors.js';
import { DEFAULT_MAX_INPUT, parseInput } from '../manifest/read.js';
import { serialize, serializeParts } from '../manifest/write.js';
import { prescanImages } from '../manifest/prescan.js';
import type { KrmResult, Manifest } from '../manifest/manifest.js';
import { errorLine, summaryLines, tally, toKrmResults } from '../report/format.js';
import { startEvaluation } from '../engine/evaluate.js';
import { mark } from '../util/timings.js';
import { UseCollector } from './collect.js';
import { checkLocked, lockEntriesOf, readLock, renderLock, writeLock, type LockOptions } from './lockfile.js';
import { annotateProvenance } from './provenance.js';

export { DEFAULT_MAX_INPUT };

/** Inputs of at least this many bytes fetch trust data before parsing (lower peak memory). */
export const PREFETCH_MIN_BYTES = 4 * 1024 * 1024;

export interface KrmRunOptions {
  resolverFor: (spec: Spec) => Resolver;
  /** `--config FILE`: used for stream input, and overrides a ResourceList's functionConfig. */
  configFile?: string;
  /** Directory relative paths in `configFile` resolve against (default: the file's directory). */
  configBase?: string;
  /** A validated spec given directly (programmatic callers, the demo); overrides both of the above. */
  spec?: Spec;
  /** Input size cap in bytes (default `DEFAULT_MAX_INPUT`). */
  maxBytes?: number;
  overrides?: Partial<Pick<Spec, 'mode' | 'reference'>>;
  prefetchMinBytes?: number;
  /** `--lock-file FILE [--locked]`: check the run against the lock, or write it after a successful run. */
  lock?: LockOptions;
}

export interface KrmRunResult {
  /** What to write on stdout ('' when nothing may be written). */
  stdout: string;
  /** `stdout` as pieces to write in order (a large output is then never one string in memory). */
  stdoutParts?: readonly string[];
  stderr: string[];
  exitCode: 0 | 1;
  outcomes: ImageOutcome[];
  results: KrmResult[];
}

/** What a run has reached so far: `failClosed` writes from it. */
interface RunState {
  model?: Manifest;
  outcomes?: ImageOutcome[];
  /** True once pins were applied to `model` (its text is then no longer the input's). */
  pinsApplied: boolean;
}

export async function runKrm(input: string | Uint8Array, opts: KrmRunOptions): Promise<KrmRunResult> {
  const run: RunState = { pinsApplied: false };
  const early = await loadPolicyEarly(opts);
  const uses = new UseCollector(early.spec, opts.resolverFor);
  try {
    await prefetchTrust(input, early.spec, uses.earlyResolver, opts);
    run.model = readInput(input, opts, uses, early.spec);
    const spec = loadPolicy(run.model, early, opts);
    run.outcomes = await checkLock(await evaluate(uses, spec), opts.lock);
    if (tally(run.outcomes).failed > 0) return failClosed(run, uses);
    run.pinsApplied = true; // before the first edit: a failure part-way must not write a half-pinned model
    applyPins(run.model, run.outcomes);
    if (spec.provenance === 'annotation' && spec.mode === 'pin') annotateProvenance(run.model, run.outcomes);
    const written = write(run.model, run.outcomes, uses);
    await updateLock(run.outcomes, opts.lock);
    return written;
  } catch (e) {
    await uses.close().catch(() => {}); // the run fails anyway
    return failClosed(run, uses, toPinError(e));
  }
}

/** The policy given directly or by --config: known before the input, so uses are collected while it is read. */
interface EarlyPolicy {
  spec?: Spec;
  /** Its load error, reported after any input error (as the policy stage's failure). */
  error?: unknown;
}

async function loadPolicyEarly(opts: KrmRunOptions): Promise<EarlyPolicy> {
  if (opts.spec === undefined && opts.configFile === undefined) return {};
  try {
    return { spec: effective(opts.spec ?? (await loadConfigFile(opts.configFile as string, opts.configBase)), opts) };
  } catch (e) {
    return { error: e };
  }
}

const effective = (spec: Spec, opts: KrmRunOptions): Spec => (opts.overrides ? { ...spec, ...opts.overrides } : spec);

/** Large input: resolve the images its text appears to name before parsing (only the parsed input decides). */
async function prefetchTrust(input: string | Uint8Array, spec: Spec | undefined, resolver: Resolver | undefined, opts: KrmRunOptions): Promise<void> {
  if (spec === undefined || resolver === undefined || typeof input !== 'string') return;
  if (input.length < (opts.prefetchMinBytes ?? PREFETCH_MIN_BYTES) || input.length > (opts.maxBytes ?? DEFAULT_MAX_INPUT)) return;
  const candidates = prescanImages(input);
  if (candidates.length === 0) return;
  const evaluation = startEvaluation(spec, resolver, { mode: spec.mode });
  for (const image of candidates) evaluation.add({ resourceIndex: -1, resource: {}, field: '', path: [], image });
  await evaluation.finish();
  mark('prefetch trust data');
}

function readInput(input: string | Uint8Array, opts: KrmRunOptions, uses: UseCollector, spec: Spec | undefined): Manifest {
  let model: Manifest;
  try {
    // the provenance annotation is written by the yaml Document model: read it that way at once
    const yamlPath = spec?.provenance === 'annotation' && spec.mode === 'pin' ? 'full' : undefined;
    model = parseInput(input, { maxBytes: opts.maxBytes, resources: uses.resources, yamlPath: yamlPath });
  } catch (e) {
    throw toPinError(e, 'INPUT_INVALID');
  }
  uses.readDone(model);
  mark('parse input');
  return model;
}

/** The effective policy: given directly, from --config, or the ResourceList's functionConfig. */
function loadPolicy(model: Manifest, early: EarlyPolicy, opts: KrmRunOptions): Spec {
  try {
    if (model.form === 'stream' && opts.spec === undefined && opts.configFile === undefined) {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: 'a plain YAML stream carries no functionConfig: the trust policy must come from --config FILE',
        hint: 'run `notary-pin --config notary-pin.yaml`, or send a ResourceList with a functionConfig',
      });
    }
    if (early.error !== undefined) throw early.error;
    const spec = early.spec ?? effective(parseFunctionConfig(model.functionConfig), opts);
    mark('load config');
    return spec;
  } catch (e) {
    throw toPinError(e, 'CONFIG_INVALID');
  }
}

/** Closing the resolver stores the trust state (TOFU roots, rollback versions) or fails the run. */
async function evaluate(uses: UseCollector, spec: Spec): Promise<ImageOutcome[]> {
  const outcomes = await uses.evaluate(spec);
  try {
    await uses.close();
  } catch (e) {
    throw toPinError(e, 'CONFIG_INVALID');
  } finally {
    mark('evaluate (resolve)');
  }
  return outcomes;
}

/** `--locked`: an image whose digest is not the lock file's fails (the lock is only read). */
async function checkLock(outcomes: ImageOutcome[], lock: LockOptions | undefined): Promise<ImageOutcome[]> {
  if (lock === undefined || !lock.locked) return outcomes;
  return checkLocked(outcomes, await readLock(lock.file), lock.file);
}

function applyPins(model: Manifest, outcomes: readonly ImageOutcome[]): void {
  for (const o of outcomes) {
    if (o.status === 'pinned' && o.changed) model.items[o.use.resourceIndex]!.setImage(o.use.path, o.newValue);
  }
}

function write(model: Manifest, outcomes: ImageOutcome[], uses: UseCollector): KrmRunResult {
  // A stream has nowhere to put results: they are built only if a caller asks for them.
  let built: KrmResult[] | undefined;
  const resultsOf = (): KrmResult[] => (built ??= toKrmResults(outcomes, uses.fileOf));
  const parts = serializeParts(model, model.form === 'resourceList' ? resultsOf() : undefined);
  mark('rewrite + serialize');
  let joined: string | undefined;
  return {
    get stdout() {
      return (joined ??= parts.join(''));
    },
    stdoutParts: parts,
    stderr: summary(model, outcomes, true),
    exitCode: 0,
    outcomes,
    get results() {
      return resultsOf();
    },
  };
}

/** `--lock-file` without `--locked`: the lock file rewritten from this (successful) run. */
async function updateLock(outcomes: readonly ImageOutcome[], lock: LockOptions | undefined): Promise<void> {
  if (lock === undefined || lock.locked) return;
  await writeLock(lock.file, renderLock(lockEntriesOf(outcomes)));
  mark('write lock file');
}

function summary(model: Manifest, outcomes: readonly ImageOutcome[], written: boolean): string[] {
  const counts = tally(outcomes);
  const n = outcomes.length;
  const pinned = written ? `${counts.pinned} pinned` : `${counts.pinned} would pin (not written: the run failed)`;
  return [
    ...summaryLines(outcomes, { written }),
    `notary-pin: ${n} image field${n === 1 ? '' : 's'} in ${model.items.length} resource${model.items.length === 1 ? '' : 's'}: ` +
      `${pinned}, ${counts.verified} verified, ${counts.excluded} excluded, ${counts.failed} failed` +
      (counts.waived > 0 ? `, ${counts.waived} failed but not enforced (warnings)` : '') +
      (counts.unchecked > 0 ? `, ${counts.unchecked} image field(s) not checked (warnings)` : ''),
  ];
}

/**
 * Every failure: exit 1; a parsed ResourceList → its unchanged input plus results; a stream or unread
 * input → empty stdout (so `notary-pin | kubectl apply` never applies unpinned manifests).
 */
function failClosed(run: RunState, uses: UseCollector, error?: PinError): KrmRunResult {
  const { model, outcomes } = run;
  if (model === undefined) return { stdout: '', stderr: error ? [errorLine(error)] : [], exitCode: 1, outcomes: [], results: [] };
  const results = toKrmResults(outcomes ?? [], uses.fileOf, error ? [error] : [], { written: false });
  const stderr = [...(outcomes ? summary(model, outcomes, false) : []), ...(error ? [errorLine(error)] : [])];
  let stdout = '';
  if (model.form === 'resourceList') {
    // after applied pins, the unchanged input comes from a fresh parse of its text: no partial edit leaks out
    const unchanged = run.pinsApplied ? parseInput(model.source, { maxBytes: Number.MAX_SAFE_INTEGER }) : model;
    stdout = serialize(unchanged, results);
  }
  return { stdout, stderr, exitCode: 1, outcomes: outcomes ?? [], results };
}
