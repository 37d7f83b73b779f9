/**
 * The parsed input's internal state (the original text, the yaml Documents and the recorded edits)
 * and the `Item` implementation. Only `io.ts` creates these.
 */
import type { Document, YAMLMap } from 'yaml';
import type { ResourceRef } from '../errors/errors.js';
import { PinError } from '../errors/errors.js';
import { recordScalarEdit, setInObject, type EditTarget, type ScalarEdit } from './rewrite.js';
import type { FieldPath, Item, Manifest } from './types.js';
import { recordAnnotation, type InsertMap } from './annotate.js';

/** One YAML document of the input and the scalar edits recorded against it. */
export interface DocState {
  readonly doc: Document.Parsed;
  /** Scalar edits keyed by the scalar's start offset in the input text. */
  readonly edits: Map<number, ScalarEdit>;
  /** Inserted mapping entries (the provenance annotation), keyed by the mapping's start offset. */
  readonly inserts: InsertMap;
}

/** Everything `serialize` needs besides the public model. */
export interface SourceState {
  readonly text: string;
  readonly docs: readonly DocState[];
  /** Line break used by the input (`\r\n` when its first line break is one). */
  readonly eol: '\n' | '\r\n';
  /** The ResourceList mapping node, for the ResourceList form. */
  readonly resourceList?: YAMLMap;
  readonly maxAliasCount: number;
}

const STATES = new WeakMap<Manifest, SourceState>();

export function attachState(model: Manifest, state: SourceState): void {
  STATES.set(model, state);
}

/** The internal state of a model made by `parseInput`. */
export function stateOf(model: Manifest): SourceState {
  const st = STATES.get(model);
  if (st === undefined) {
    throw new PinError({ code: 'INTERNAL', message: 'serialize() needs a model returned by parseInput()' });
  }
  return st;
}

/** A resource of the input; `setImage` records a surgical text edit (see `rewrite.ts`). */
export class ManifestItem implements Item {
  #changed = false;

  constructor(
    private readonly target: EditTarget,
    readonly index: number,
    readonly docIndex: number,
    readonly object: Record<string, unknown>,
    readonly ref: ResourceRef,
  ) {}

  get changed(): boolean {
    return this.#changed;
  }

  setImage(path: FieldPath, value: string): void {
    try {
      if (recordScalarEdit(this.target, path, value)) this.#changed = true;
    } catch (e) {
      throw e instanceof PinError ? e.with({ resource: this.ref }) : e;
    }
    setInObject(this.object, path, value);
  }

  setAnnotation(key: string, value: string): void {
    try {
      if (recordAnnotation(this.target, this.target.inserts, this.object, key, value)) this.#changed = true;
    } catch (e) {
      throw e instanceof PinError ? e.with({ resource: this.ref }) : e;
    }
  }
}

/** A ResourceList model; `functionConfig` and `existingResults` are present only when the input has them. */
export function resourceListManifest(m: {
  items: readonly Item[];
  apiVersion: string;
  functionConfig: unknown;
  existingResults: unknown;
  documentCount: number;
  source: string;
}): Manifest {
  const model: { -readonly [K in keyof Manifest]: Manifest[K] } = { form: 'resourceList', items: m.items, apiVersion: m.apiVersion, documentCount: m.documentCount, source: m.source };
  if (m.functionConfig !== undefined && m.functionConfig !== null) model.functionConfig = m.functionConfig;
  if (m.existingResults !== undefined) model.existingResults = m.existingResults;
  return model;
}
