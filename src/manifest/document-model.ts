/** The parsed-input models: public fields, and the `yaml` Document reader's model, state and `Item`. */
import type { Document, YAMLMap } from 'yaml';
import type { ResourceRef } from '../errors/errors.js';
import { PinError } from '../errors/errors.js';
import { recordScalarEdit, setInObject, type EditTarget, type ScalarEdit } from './rewrite.js';
import type { FieldPath, Item, Manifest } from './manifest.js';
import { recordAnnotation, type InsertMap } from './annotate.js';

export interface DocState {
  readonly doc: Document.Parsed;
  /** Keyed by the scalar's start offset. */
  readonly edits: Map<number, ScalarEdit>;
  /** The provenance annotation's entries, keyed by the mapping's start offset. */
  readonly inserts: InsertMap;
}

export interface SourceState {
  readonly text: string;
  readonly docs: readonly DocState[];
  /** `\r\n` when the input's first line break is one. */
  readonly eol: '\n' | '\r\n';
  readonly resourceList?: YAMLMap;
  readonly maxAliasCount: number;
}

export interface ManifestFields {
  form: 'resourceList' | 'stream';
  items: readonly Item[];
  documentCount: number;
  source: string;
  apiVersion?: string;
  functionConfig?: unknown;
  existingResults?: unknown;
}

/** The model, and what the caller's `pick` returned for each resource, by index. */
export interface ReadResult {
  readonly model: Manifest;
  readonly picked: readonly unknown[];
}

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

export class DocumentManifest extends ParsedManifest {
  constructor(
    fields: ManifestFields,
    readonly state: SourceState,
  ) {
    super(fields);
  }
}

export function stateOf(model: Manifest): SourceState {
  if (!(model instanceof DocumentManifest)) {
    throw new PinError({ code: 'INTERNAL', message: 'serialize() needs a model returned by parseInput()' });
  }
  return model.state;
}

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
