/** The manifest model: what the readers (read.ts) build and the writer (write.ts, rewrite.ts) edits. */
import { z } from 'zod';
import type { ResourceRef } from '../errors/errors.js';

/** A path inside a resource: map keys are strings, list indexes are numbers. */
export type FieldPath = readonly (string | number)[];

export type { FileRef } from '../workload/ref.js';

/** The KRM functions spec severity of a result (`error` when not given). */
export const SeveritySchema = z.enum(['error', 'warning', 'info']);

/**
 * One entry of a ResourceList's `results` (KRM functions spec; kyaml `framework.Result`):
 * `message`, `severity`, `resourceRef`, `field {path, currentValue, proposedValue}`,
 * `file {path, index}`, `tags`.
 */
export const KrmResultSchema = z.strictObject({
  message: z.string(),
  severity: SeveritySchema.optional(),
  resourceRef: z
    .strictObject({
      apiVersion: z.string().optional(),
      kind: z.string().optional(),
      name: z.string().optional(),
      namespace: z.string().optional(),
    })
    .optional(),
  field: z
    .strictObject({
      path: z.string().optional(),
      currentValue: z.unknown().optional(),
      proposedValue: z.unknown().optional(),
    })
    .optional(),
  file: z
    .strictObject({
      path: z.string().optional(),
      index: z.number().int().min(0).optional(),
    })
    .optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type KrmResult = z.infer<typeof KrmResultSchema>;

/** One Kubernetes resource of the input: a ResourceList item or a document of a stream. */
export interface Item {
  /** 0-based position among the resources (ResourceList `items` order, or stream order without null documents). */
  readonly index: number;
  /** Index of the YAML document holding the resource (always 0 for a ResourceList). */
  readonly docIndex: number;
  /** The resource as plain JS (aliases resolved, merge keys applied). Updated by `setImage`. */
  readonly object: Record<string, unknown>;
  /** apiVersion / kind / name / namespace, as KRM results and PinError want them. */
  readonly ref: ResourceRef;
  /** True once `setImage` changed something in this resource. */
  readonly changed: boolean;
  /**
   * Replace the scalar at `path` (a path from `workload/find.ts` `findImages`) with `value`, keeping its quoting style
   * and comments. See `rewrite.ts` for the alias rules.
   */
  setImage(path: FieldPath, value: string): void;
  /**
   * Set `metadata.annotations[key]` to `value` (printable ASCII), inserting the entry (and the
   * mappings it needs) when absent, with the same surgical text edits (see `annotate.ts`).
   */
  setAnnotation(key: string, value: string): void;
}

/** The parsed input: a KRM ResourceList or a plain multi-document stream of objects. */
export interface Manifest {
  readonly form: 'resourceList' | 'stream';
  readonly items: readonly Item[];
  /** The ResourceList's `functionConfig` as plain JS (undefined when absent or null, and for streams). */
  readonly functionConfig?: unknown;
  /** The ResourceList's apiVersion (`config.kubernetes.io/v1` or `config.kubernetes.io/v1alpha1`). */
  readonly apiVersion?: string;
  /** The `results` the ResourceList already had, as plain JS. */
  readonly existingResults?: unknown;
  /** Number of YAML documents, null documents included. */
  readonly documentCount: number;
  /** The exact input text. */
  readonly source: string;
}
