/** The UNCHECKED_IMAGE_FIELD result: an `image` string no definition covers, and how to declare or ignore it. */
import { PinError } from '../errors/errors.js';
import { apiGroup } from '../workload/kinds.js';
import { declaredPath } from '../workload/path.js';
import { presetsCovering } from '../workload/presets.js';
import type { ImageUse } from './evaluate.js';

export function uncheckedFieldError(use: ImageUse): PinError {
  const { kind, apiVersion } = use.resource;
  const path = declaredPath(use.path);
  const presets = path === undefined ? [] : presetsCovering(kind, apiVersion, path);
  const what = `${kind ?? '(no kind)'}${apiVersion !== undefined ? ` (${apiVersion})` : ''}`;
  const ways: string[] = [];
  if (presets.length > 0) ways.push(`turn on spec.presets: [${presets.join(', ')}]`);
  let entry = '';
  if (path !== undefined && kind !== undefined) {
    const group = apiVersion === undefined ? undefined : apiGroup(apiVersion) || apiVersion;
    entry = `{kind: ${kind}${group !== undefined ? `, apiVersion: ${group}` : ''}, path: ${path}}`;
    ways.push(`declare it in spec.imageFields: ${entry}`);
  }
  const check = ways.length > 0 ? `to check it, ${ways.join(' or ')}` : 'it cannot be declared as an image field (its path has keys imageFields cannot name)';
  const ignore = entry !== '' ? `; if it is not an image, list ${entry} in spec.ignoreImageFields` : '';
  return new PinError({
    code: 'UNCHECKED_IMAGE_FIELD',
    message: `${use.field} of ${what} is a string field named "image" that notary-pin does not check: nothing declares it an image field`,
    hint: `${check}${ignore}; spec.coverage: strict makes unchecked fields errors`,
  });
}
