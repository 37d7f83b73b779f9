/** What the workload module reports: where an image (or an unchecked `image` field) sits in a resource. */
import type { ResourceRef } from '../errors/errors.js';
import type { ImageField, PresetName } from '../config/schema.js';

/** Why a location is reported: a built-in kind, a preset, `imageFields`, the pod spec shape, or none (unchecked). */
export type Via = 'kind' | 'preset' | 'imageFields' | 'shape' | 'unchecked';

/** Where an image reference lives inside one resource. */
export interface ImageLocation {
  /** e.g. `['spec','template','spec','containers',0,'image']` */
  path: (string | number)[];
  /** The KRM result field path, e.g. `spec.template.spec.containers[0].image`. */
  field: string;
  /** The value found. Callers validate it: it may be a number, null, a map ... */
  value: unknown;
  /** Container name, for container / initContainer / ephemeralContainer locations. */
  container?: string;
  /** Volume name, for `volumes[].image.reference` locations. */
  volume?: string;
  /** `unchecked`: a string field named `image` that nothing declares as an image (see `scan.ts`). */
  kind: 'container' | 'initContainer' | 'ephemeralContainer' | 'volume' | 'custom' | 'unchecked';
  via: Via;
  /** The List item holding the field (kind/name/namespace of the item), when the resource is a List. */
  resource?: ResourceRef;
}

/** The parts of the config that say which fields carry images (a `Spec` is one). */
export interface WorkloadConfig {
  imageFields: readonly ImageField[];
  presets?: readonly PresetName[];
  ignoreImageFields?: readonly ImageField[];
}
