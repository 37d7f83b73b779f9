/**
 * The KRM function: ResourceList (or plain YAML stream) in → pinned ResourceList (or stream) out.
 *
 * Data flows one way: input → config → collect images → resolve/verify → rewrite or decide → report.
 *
 * Failure contract (fail closed, lose nothing):
 * - ResourceList input that parses: on any error the output is the input ResourceList with every
 *   item unchanged, plus `results`; exit code 1.
 * - Plain stream input: on any error nothing is written to stdout (so `notary-pin | kubectl apply`
 *   can never apply unpinned manifests), errors go to stderr; exit code 1.
 * - Input that cannot be parsed at all: nothing on stdout, the error on stderr; exit code 1.
 */
import { loadConfigFile, parseFunctionConfig } from '../config/load.js';
import type { Spec } from '../config/schema.js';
import { collectImageUses, collectResourceImageUses, evaluateUses, startEvaluation, type ImageOutcome, type ImageUse } from '../engine/evaluate.js';
import { PinError, toPinError } from '../errors/errors.js';
import { parseInput, serialize, serializeParts } from '../manifest/io.js';
import { fileOf } from '../workload/ref.js';
import { prescanImages } from '../manifest/prescan.js';
import type { FileRef, Manifest } from '../manifest/types.js';
import { errorText, summaryLines, tally, toKrmResults } from '../report/format.js';
import type { KrmResult } from '../manifest/types.js';
import type { Resolver } from '../engine/port.js';
import { Interner } from '../util/intern.js';
import { mark } from '../util/timings.js';

/** Inputs beyond this are rejected (INPUT_TOO_LARGE); --max-input-bytes raises it. */
export const DEFAULT_MAX_INPUT = 16 * 1024 * 1024;

/**
 * From this input size on, the trust data of the images the text appears to name is fetched and
 * verified before the input is parsed (see `prefetchTrust`). Smaller inputs are parsed while their
 * trust data is fetched, hiding the network's round trips behind the parse; for large inputs peak
 * memory matters more: the trust work then never runs beside the parsed bundle (measured on the
 * bench's 20,000-resource bundle: 185 → 162 MiB peak RSS, for ~5 round trips not hidden).
 */
export const PREFETCH_MIN_BYTES = 4 * 1024 * 1024;

export interface KrmRunOptions {
  /** Builds the resolver for the effective spec (the Notary resolver in production). */
  resolverFor: (spec: Spec) => Resolver;
  /** `--config FILE`: used for stream input, and overrides a ResourceList's functionConfig. */
  configFile?: string;
  /** Directory relative paths in `configFile` resolve against (default: the file's directory). */
  configBase?: string;
  /** A validated spec given directly (programmatic callers, the demo); overrides both of the above. */
  spec?: Spec;
  /** Input size cap in bytes. */
  maxBytes?: number;
  /** Overrides of the effective spec from CLI flags (e.g. `--mode verify`). */
  overrides?: Partial<Pick<Spec, 'mode' | 'reference'>>;
  /** Inputs at least this long fetch trust data before they are parsed (default `PREFETCH_MIN_BYTES`). */
  prefetchMinBytes?: number;
}

export interface KrmRunResult {
  /** What to write on stdout ('' when nothing may be written). */
  stdout: string;
  /** `stdout` as pieces to write in order (a large output is then never one string in memory). */
  stdoutParts?: readonly string[];
  /** Human summary lines for stderr. */
  stderr: string[];
  exitCode: 0 | 1;
  outcomes: ImageOutcome[];
  results: KrmResult[];
}

function failEarly(error: PinError): KrmRunResult {
  return { stdout: '', stderr: [`notary-pin: error: ${errorText(error)} [${error.code}]`], exitCode: 1, outcomes: [], results: [] };
}

/** Resolves (and forgets the outcomes of) the images `text` appears to name: see `prescanImages`. */
async function prefetchTrust(text: string, spec: Spec, resolver: Resolver): Promise<void> {
  const candidates = prescanImages(text);
  if (candidates.length === 0) return;
  const evaluation = startEvaluation(spec, resolver, { mode: spec.mode });
  for (const image of candidates) evaluation.add({ resourceIndex: -1, resource: {}, field: '', path: [], image });
  await evaluation.finish();
}

/** The spec with the CLI's overrides applied. */
const effective = (spec: Spec, opts: KrmRunOptions): Spec => (opts.overrides ? { ...spec, ...opts.overrides } : spec);

export async function runKrm(input: string | Uint8Array, opts: KrmRunOptions): Promise<KrmRunResult> {
  // A policy given directly or by --config does not depend on the input: it is read first, so the
  // image fields are known while the input is parsed and each resource's images (and its file
  // annotations) are collected as it is read — the documents of a stream are then never all held
  // at once. Its error is reported where it always was: after any input error.
  let early: { spec: Spec } | { error: unknown } | undefined;
  if (opts.spec !== undefined || opts.configFile !== undefined) {
    try {
      early = { spec: opts.spec ?? (await loadConfigFile(opts.configFile as string, opts.configBase)) };
    } catch (e) {
      early = { error: e };
    }
  }
  const earlySpec = early !== undefined && 'spec' in early ? effective(early.spec, opts) : undefined;
  const imageFields = earlySpec?.imageFields;
  const collected: ImageUse[] | undefined = imageFields !== undefined ? [] : undefined;
  const files = new Map<number, FileRef>();
  const strings = new Interner();
  // With the policy known up front, resolution starts while the input is parsed: each new image is
  // handed to the resolver as soon as its resource has been read (connections open meanwhile).
  let resolver: Resolver | undefined = earlySpec !== undefined ? opts.resolverFor(earlySpec) : undefined;
  const startOver = () => (earlySpec !== undefined && resolver !== undefined ? startEvaluation(earlySpec, resolver, { mode: earlySpec.mode }) : undefined);
  let evaluation = startOver();
  const onResource = (object: Record<string, unknown>, index: number): void => {
    if (index === 0 && (collected as ImageUse[]).length > 0) {
      // the fast path gave up part-way and the full path reads the input again from the start
      (collected as ImageUse[]).length = 0;
      files.clear();
      evaluation = startOver();
    }
    const from = (collected as ImageUse[]).length;
    collectResourceImageUses(object, index, earlySpec as Spec, collected as ImageUse[], strings);
    for (let i = from; i < (collected as ImageUse[]).length; i++) evaluation?.add((collected as ImageUse[])[i]!);
    const file = fileOf(object);
    if (file !== undefined) files.set(index, { ...file, path: strings.intern(file.path) });
  };
  const closeResolver = async () => {
    const r = resolver;
    resolver = undefined;
    await r?.close?.();
  };

  // A large input gets its trust data first, while the heap holds little more than the input text:
  // the images the text appears to name (manifest/prescan.ts) are resolved before it is parsed, so
  // the trust work does not run beside the parsed bundle. Only the parsed manifests decide: their
  // images are evaluated below as always, answered from the resolver's cache where the hint was right.
  if (
    earlySpec !== undefined &&
    resolver !== undefined &&
    typeof input === 'string' &&
    input.length >= (opts.prefetchMinBytes ?? PREFETCH_MIN_BYTES) &&
    input.length <= (opts.maxBytes ?? DEFAULT_MAX_INPUT)
  ) {
    await prefetchTrust(input, earlySpec, resolver);
    mark('prefetch trust data');
  }

  let model: Manifest;
  try {
    model = parseInput(input, { maxBytes: opts.maxBytes ?? DEFAULT_MAX_INPUT, ...(collected !== undefined && { onResource }) });
    mark('parse input');
  } catch (e) {
    await closeResolver().catch(() => {}); // the run fails anyway
    return failEarly(toPinError(e, 'INPUT_INVALID'));
  }

  const fileLookup = (i: number): FileRef | undefined => {
    if (collected !== undefined) return files.get(i);
    const item = model.items[i];
    return item ? fileOf(item) : undefined;
  };
  const unchangedWith = (results: KrmResult[], stderr: string[], outcomes: ImageOutcome[] = []): KrmRunResult => ({
    stdout: model.form === 'resourceList' ? serialize(model, results) : '',
    stderr,
    exitCode: 1,
    outcomes,
    results,
  });

  let spec: Spec;
  try {
    if (model.form === 'stream' && opts.spec === undefined && opts.configFile === undefined) {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: 'a plain YAML stream carries no functionConfig: the trust policy must come from --config FILE',
        hint: 'run `notary-pin --config notary-pin.yaml`, or send a ResourceList with a functionConfig',
      });
    }
    if (early !== undefined && 'error' in early) throw early.error;
    spec = earlySpec ?? effective(parseFunctionConfig(model.functionConfig), opts);
    mark('load config');
  } catch (e) {
    await closeResolver().catch(() => {}); // the run fails anyway
    const error = toPinError(e, 'CONFIG_INVALID');
    return unchangedWith(toKrmResults([], fileLookup, [error]), [`notary-pin: error: ${errorText(error)} [${error.code}]`]);
  }

  let outcomes: ImageOutcome[] | undefined;
  let failure: PinError | undefined;
  try {
    if (evaluation !== undefined) {
      outcomes = await evaluation.finish();
    } else {
      resolver = opts.resolverFor(spec);
      const uses = collected ?? collectImageUses(model.items.map((item) => item.object), spec);
      outcomes = await evaluateUses(uses, spec, resolver, { mode: spec.mode });
    }
  } catch (e) {
    failure = toPinError(e);
  }
  try {
    // Closing waits for the trust state this run must leave behind (TOFU roots, versions for
    // rollback protection): if it cannot be stored, the run fails.
    await closeResolver();
  } catch (e) {
    failure ??= toPinError(e, 'CONFIG_INVALID');
  }
  mark('evaluate (resolve)');
  if (outcomes === undefined || failure !== undefined) {
    const error = failure ?? new PinError({ code: 'INTERNAL', message: 'no outcome' });
    const results = toKrmResults(outcomes ?? [], fileLookup, [error]);
    return unchangedWith(results, [...(outcomes ? summaryLines(outcomes) : []), `notary-pin: error: ${errorText(error)} [${error.code}]`], outcomes);
  }

  // A stream has nowhere to put results: they are built only if a caller asks for them.
  const done = outcomes;
  let built: KrmResult[] | undefined;
  const resultsOf = (): KrmResult[] => (built ??= toKrmResults(done, fileLookup));
  const results = model.form === 'resourceList' ? resultsOf() : undefined;
  mark('results');
  const counts = tally(outcomes);
  const stderr = [
    ...summaryLines(outcomes),
    `notary-pin: ${outcomes.length} image field${outcomes.length === 1 ? '' : 's'} in ${model.items.length} resource${model.items.length === 1 ? '' : 's'}: ` +
      `${counts.pinned} pinned, ${counts.verified} verified, ${counts.excluded} excluded, ${counts.failed} failed` +
      (counts.unchecked > 0 ? `, ${counts.unchecked} image field(s) not checked (warnings)` : ''),
  ];
  if (counts.failed > 0) return unchangedWith(resultsOf(), stderr, outcomes);

  // Every image resolved: apply the rewrites (pin mode only; verify mode never changes anything).
  try {
    for (const o of outcomes) {
      if (o.status === 'pinned' && o.changed) model.items[o.use.resourceIndex]!.setImage(o.use.path, o.newValue);
    }
    const parts = serializeParts(model, results);
    mark('rewrite + serialize');
    let joined: string | undefined;
    return {
      get stdout() {
        return (joined ??= parts.join(''));
      },
      stdoutParts: parts,
      stderr,
      exitCode: 0,
      outcomes,
      get results() {
        return resultsOf();
      },
    };
  } catch (e) {
    // A rewrite that cannot be made (or would not read back) fails the whole run: the output is
    // the input as it came, from a fresh parse of the original text, so no partial edit leaks out.
    const error = toPinError(e);
    const pristine = parseInput(model.source, { maxBytes: Number.MAX_SAFE_INTEGER });
    const all = [...resultsOf(), ...toKrmResults([], fileLookup, [error])];
    return {
      stdout: pristine.form === 'resourceList' ? serialize(pristine, all) : '',
      stderr: [...stderr, `notary-pin: error: ${errorText(error)} [${error.code}]`],
      exitCode: 1,
      outcomes,
      results: all,
    };
  }
}
