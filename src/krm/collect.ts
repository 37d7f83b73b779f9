/**
 * The "collect uses" stage of the KRM function: the image uses of the input, and the file each
 * resource came from. With the policy known before the input is read, each resource is collected
 * as the reader hands it out and its images go to the resolver at once (connections open while the
 * rest is read); otherwise the uses are collected from the parsed resources afterwards.
 */
import type { Spec } from '../config/schema.js';
import { collectImageUses, collectResourceImageUses, evaluateUses, startEvaluation, type ImageOutcome, type ImageUse } from '../engine/evaluate.js';
import type { Resolver } from '../engine/port.js';
import { fileOf } from '../workload/ref.js';
import type { FileRef, Manifest } from '../manifest/types.js';
import { Interner } from '../util/intern.js';

type Evaluation = ReturnType<typeof startEvaluation>;

export class UseCollector {
  private readonly uses: ImageUse[] = [];
  private readonly files = new Map<number, FileRef>();
  private readonly strings = new Interner();
  private resolver: Resolver | undefined;
  private evaluation: Evaluation | undefined;
  private model: Manifest | undefined;

  /** `spec`: the policy when it is known before the input is read (uses are then collected while reading). */
  constructor(
    private readonly spec: Spec | undefined,
    private readonly resolverFor: (spec: Spec) => Resolver,
  ) {
    if (spec !== undefined) {
      this.resolver = resolverFor(spec);
      this.evaluation = startEvaluation(spec, this.resolver, { mode: spec.mode });
    }
  }

  /** The resolver of the early policy (for the trust prefetch of large inputs). */
  get earlyResolver(): Resolver | undefined {
    return this.spec !== undefined ? this.resolver : undefined;
  }

  /** The reader's per-resource callback, when uses are collected while reading. */
  get onResource(): ((object: Record<string, unknown>, index: number) => void) | undefined {
    return this.spec !== undefined ? (object, index) => this.collect(object, index) : undefined;
  }

  private collect(object: Record<string, unknown>, index: number): void {
    if (index === 0 && this.uses.length > 0) this.startOver();
    const from = this.uses.length;
    collectResourceImageUses(object, index, this.spec as Spec, this.uses, this.strings);
    for (let i = from; i < this.uses.length; i++) this.evaluation?.add(this.uses[i]!);
    const file = fileOf(object);
    if (file !== undefined) this.files.set(index, { ...file, path: this.strings.intern(file.path) });
  }

  /** A reader that gave up part-way reads the input again from its start (index 0 once more). */
  private startOver(): void {
    this.uses.length = 0;
    this.files.clear();
    this.evaluation = startEvaluation(this.spec as Spec, this.resolver as Resolver, { mode: (this.spec as Spec).mode });
  }

  /** The input has been read: file lookups answer from `model` where nothing was collected. */
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

  /** Closes the resolver once; it waits for the trust state the run must leave behind and throws if it cannot be stored. */
  async close(): Promise<void> {
    const r = this.resolver;
    this.resolver = undefined;
    await r?.close?.();
  }
}
