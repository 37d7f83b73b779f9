/**
 * The KRM "collect uses" stage: each resource's image uses and source file. With an early policy they
 * are picked while the reader reads (so it can drop the resource), else from the parsed resources.
 */
import type { Spec } from '../config/schema.js';
import { collectImageUses, collectResourceImageUses, evaluateUses, startEvaluation, type ImageOutcome, type ImageUse } from '../engine/evaluate.js';
import type { Resolver } from '../engine/port.js';
import { fileOf } from '../workload/ref.js';
import type { ResourceSink } from '../manifest/read.js';
import type { FileRef, Manifest } from '../manifest/manifest.js';
import { Interner } from '../util/intern.js';

type Evaluation = ReturnType<typeof startEvaluation>;

/** What is picked from one resource: its image uses and the file it came from (undefined: neither). */
interface PickedUses {
  readonly uses: readonly ImageUse[];
  readonly file: FileRef | undefined;
}

export class UseCollector {
  private readonly files = new Map<number, FileRef>();
  private readonly strings = new Interner();
  private resolver: Resolver | undefined;
  private evaluation: Evaluation | undefined;
  private model: Manifest | undefined;

  constructor(
    private readonly spec: Spec | undefined,
    private readonly resolverFor: (spec: Spec) => Resolver,
  ) {
    if (spec !== undefined) {
      this.resolver = resolverFor(spec);
      this.evaluation = startEvaluation(spec, this.resolver, { mode: spec.mode });
    }
  }

  get earlyResolver(): Resolver | undefined {
    return this.spec !== undefined ? this.resolver : undefined;
  }

  /** The reader's sink (read.ts `ResourceSink`), when uses are collected while reading. */
  get resources(): ResourceSink<PickedUses | undefined> | undefined {
    if (this.spec === undefined) return undefined;
    return { pick: (object, index) => this.pick(object, index), take: (picked, index) => this.take(picked, index) };
  }

  /** The uses and file of a resource being read: only read here (a reader may drop them and pick again). */
  private pick(object: Record<string, unknown>, index: number): PickedUses | undefined {
    const uses: ImageUse[] = [];
    collectResourceImageUses(object, index, this.spec as Spec, uses, this.strings);
    const found = fileOf(object);
    if (uses.length === 0 && found === undefined) return undefined;
    return { uses, file: found !== undefined ? { ...found, path: this.strings.intern(found.path) } : undefined };
  }

  /** A resource handed out by the reader that accepted the input: its uses go to the resolver. */
  private take(picked: PickedUses | undefined, index: number): void {
    if (picked === undefined) return;
    for (const use of picked.uses) this.evaluation?.add(use);
    if (picked.file !== undefined) this.files.set(index, picked.file);
  }

  readDone(model: Manifest): void {
    this.model = model;
  }

  /** The file resource `index` came from (kpt / kustomize annotations). */
  readonly fileOf = (index: number): FileRef | undefined => {
    if (this.spec !== undefined) return this.files.get(index);
    const item = this.model?.items[index];
    return item ? fileOf(item) : undefined;
  };

  /** Resolves every use under `spec` (collecting them now if they were not collected while reading). */
  async evaluate(spec: Spec): Promise<ImageOutcome[]> {
    if (this.evaluation !== undefined) return this.evaluation.finish();
    this.resolver = this.resolverFor(spec);
    const model = this.model as Manifest;
    return evaluateUses(collectImageUses(model.items.map((item) => item.object), spec), spec, this.resolver, { mode: spec.mode });
  }

  /** Closes the resolver once; throws if the trust state it must leave behind cannot be stored. */
  async close(): Promise<void> {
    const r = this.resolver;
    this.resolver = undefined;
    await r?.close?.();
  }
}
