/** What the workload module reports: where an image (or an unchecked `image` field) sits in a resource. */
import type { ResourceRef } from '../errors/errors.js';
import type { ImageField, PresetName } from '../config/schema.js';

/** Why a location is reported: built-in kind, preset, `imageFields`, pod spec shape, or none (unchecked). */
export type Via = 'kind' | 'preset' | 'imageFields' | 'shape' | 'unchecked';

export interface ImageLocation {
  path: (string | number)[];
  /** The KRM result field path, e.g. `spec.template.spec.containers[0].image`. */
  field: string;
  /** Unvalidated: it may be a number, null, a map ... */
  value: unknown;
  container?: string;
  volume?: string;
  /** `unchecked`: a string field named `image` that nothing declares (see `scan.ts`). */
  kind: 'container' | 'initContainer' | 'ephemeralContainer' | 'volume' | 'custom' | 'unchecked';
  via: Via;
  /** The List item holding the field, when the resource is a List. */
  resource?: ResourceRef;
}

export interface WorkloadConfig {
  imageFields: readonly ImageField[];
  presets?: readonly PresetName[];
  ignoreImageFields?: readonly ImageField[];
}
