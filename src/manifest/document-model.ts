/**
 * The models of a parsed input: `ParsedManifest` (the public fields), the `yaml` Document reader's
 * model and state (the original text, the Documents and the recorded edits), and its `Item`.
 * Only the readers (read.ts, indexed-reader.ts) create these.
 */
import type { Document, YAMLMap } from 'yaml';
import type { ResourceRef } from '../errors/errors.js';
import { PinError } from '../errors/errors.js';
import { recordScalarEdit, setInObject, type EditTarget, type ScalarEdit } from './rewrite.js';
import type { FieldPath, Item, Manifest } from './manifest.js';
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

/** The public fields of a parsed input (`apiVersion`, `functionConfig`, `existingResults` for a ResourceList). */
export interface ManifestFields {
  form: 'resourceList' | 'stream';
  items: readonly Item[];
  documentCount: number;
  source: string;
  apiVersion?: string;
  functionConfig?: unknown;
  existingResults?: unknown;
}

/** What a reader gives (read.ts): the model, and what the caller's `pick` returned for each resource, by index. */
export interface ReadResult {
  readonly model: Manifest;
  readonly picked: readonly unknown[];
}

/** A parsed input; the optional fields are present only when the input has them. */
export abstract class ParsedManifest implements Manifest {
  readonly form: 'resourceList' | 'stream';
  readonly items: readonly Item[];
  readonly documentCount: number;
  readonly source: string;
  declare readonly apiVersion?: string;
  declare readonly functionConfig?: unknown;
  declare readonly existingResults?: unknown;

  constructor(fields: ManifestFields) {
    this.form = fields.form;
    this.items = fields.items;
    this.documentCount = fields.documentCount;
    this.source = fields.source;
    const optional = this as { apiVersion?: string; functionConfig?: unknown; existingResults?: unknown };
    if (fields.apiVersion !== undefined) optional.apiVersion = fields.apiVersion;
    if (fields.functionConfig !== undefined && fields.functionConfig !== null) optional.functionConfig = fields.functionConfig;
    if (fields.existingResults !== undefined) optional.existingResults = fields.existingResults;
  }
}

/** A model read by the `yaml` Document reader, with what `serialize` needs. */
export class DocumentManifest extends ParsedManifest {
  constructor(
    fields: ManifestFields,
    readonly state: SourceState,
  ) {
    super(fields);
  }
}

/** The internal state of a model made by the `yaml` Document reader. */
export function stateOf(model: Manifest): SourceState {
  if (!(model instanceof DocumentManifest)) {
    throw new PinError({ code: 'INTERNAL', message: 'serialize() needs a model returned by parseInput()' });
  }
  return model.state;
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
