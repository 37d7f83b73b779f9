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
import { evaluate, type ImageOutcome } from '../engine/evaluate.js';
import { PinError, toPinError } from '../errors/errors.js';
import { fileOf, parseInput, serialize, type ParsedInput } from '../manifest/io.js';
import { setImage } from '../manifest/rewrite.js';
import { errorText, summaryLines, tally, toKrmResults, type KrmResult } from '../report/format.js';
import type { Resolver } from '../resolve/types.js';

export interface KrmRunOptions {
  /** Builds the resolver for the effective spec (the Notary resolver in production). */
  resolverFor: (spec: Spec) => Resolver;
  /** `--config FILE`: used for stream input, and overrides a ResourceList's functionConfig. */
  configFile?: string;
  /** Input size cap in bytes. */
  maxBytes?: number;
  /** Overrides of the effective spec from CLI flags (e.g. `--mode verify`). */
  overrides?: Partial<Pick<Spec, 'mode' | 'reference'>>;
}

export interface KrmRunResult {
  /** What to write on stdout ('' when nothing may be written). */
  stdout: string;
  /** Human summary lines for stderr. */
  stderr: string[];
  exitCode: 0 | 1;
  outcomes: ImageOutcome[];
  results: KrmResult[];
}

function failEarly(error: PinError): KrmRunResult {
  return { stdout: '', stderr: [`notary-pin: error: ${errorText(error)} [${error.code}]`], exitCode: 1, outcomes: [], results: [] };
}

/** Decodes input bytes as strict UTF-8 (YAML streams must be Unicode; a stray byte is an error, not a U+FFFD). */
function decodeInput(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(input);
  } catch {
    throw new PinError({ code: 'INPUT_INVALID', message: 'input is not valid UTF-8', hint: 'feed YAML or JSON text encoded as UTF-8' });
  }
}

export async function runKrm(input: string | Uint8Array, opts: KrmRunOptions): Promise<KrmRunResult> {
  let model: ParsedInput;
  try {
    const text = decodeInput(input);
    if (opts.maxBytes !== undefined && typeof input !== 'string' && input.byteLength > opts.maxBytes) {
      throw new PinError({
        code: 'INPUT_TOO_LARGE',
        message: `input exceeds the limit of ${opts.maxBytes} bytes`,
        hint: 'raise the limit with --max-input-bytes, or split the input',
      });
    }
    model = parseInput(text, opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes });
  } catch (e) {
    return failEarly(toPinError(e, 'INPUT_INVALID'));
  }

  const fileLookup = (i: number) => {
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
    spec = opts.configFile !== undefined ? await loadConfigFile(opts.configFile) : parseFunctionConfig(model.functionConfig);
    if (opts.overrides) spec = { ...spec, ...opts.overrides };
  } catch (e) {
    const error = toPinError(e, 'CONFIG_INVALID');
    return unchangedWith(toKrmResults([], fileLookup, [error]), [`notary-pin: error: ${errorText(error)} [${error.code}]`]);
  }

  const resolver = opts.resolverFor(spec);
  let outcomes: ImageOutcome[];
  try {
    outcomes = await evaluate(
      model.items.map((item) => item.object),
      spec,
      resolver,
      { mode: spec.mode },
    );
  } catch (e) {
    const error = toPinError(e);
    return unchangedWith(toKrmResults([], fileLookup, [error]), [`notary-pin: error: ${errorText(error)} [${error.code}]`]);
  } finally {
    await resolver.close?.();
  }

  const results = toKrmResults(outcomes, fileLookup);
  const counts = tally(outcomes);
  const stderr = [
    ...summaryLines(outcomes),
    `notary-pin: ${outcomes.length} image field${outcomes.length === 1 ? '' : 's'} in ${model.items.length} resource${model.items.length === 1 ? '' : 's'}: ` +
      `${counts.pinned} pinned, ${counts.verified} verified, ${counts.excluded} excluded, ${counts.failed} failed`,
  ];
  if (counts.failed > 0) return unchangedWith(results, stderr, outcomes);

  // Every image resolved: apply the rewrites (pin mode only; verify mode never changes anything).
  for (const o of outcomes) {
    if (o.status === 'pinned' && o.changed) setImage(model.items[o.use.resourceIndex]!, o.use.path, o.newValue);
  }
  return { stdout: serialize(model, model.form === 'resourceList' ? results : undefined), stderr, exitCode: 0, outcomes, results };
}
