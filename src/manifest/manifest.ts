/** The manifest model: what the readers (read.ts) build and the writer (write.ts, rewrite.ts) edits. */
import { z } from 'zod';
import type { ResourceRef } from '../errors/errors.js';

/** A path inside a resource: map keys are strings, list indexes are numbers. */
export type FieldPath = readonly (string | number)[];

export type { FileRef } from '../workload/ref.js';

/** KRM functions spec severity (`error` when not given). */
export const SeveritySchema = z.enum(['error', 'warning', 'info']);

/** One entry of a ResourceList's `results` (KRM functions spec; kyaml `framework.Result`). */
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
  readonly docIndex: number;
  /** The resource as plain JS (aliases resolved, merge keys applied). Updated by `setImage`. */
  readonly object: Record<string, unknown>;
  readonly ref: ResourceRef;
  readonly changed: boolean;
  /** Replace the scalar at `path`, keeping its quoting style and comments (alias rules: rewrite.ts). */
  setImage(path: FieldPath, value: string): void;
  /** Set `metadata.annotations[key]` (printable ASCII), inserting what is missing (annotate.ts). */
  setAnnotation(key: string, value: string): void;
}

export interface Manifest {
  readonly form: 'resourceList' | 'stream';
  readonly items: readonly Item[];
  /** Plain JS; undefined when absent or null, and for streams. */
  readonly functionConfig?: unknown;
  readonly apiVersion?: string;
  readonly existingResults?: unknown;
  /** Number of YAML documents, null documents included. */
  readonly documentCount: number;
  readonly source: string;
}
