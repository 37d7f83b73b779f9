/** Manifest I/O, image walking and comment-preserving rewriting. */
export { DEFAULT_MAX_ALIAS_COUNT, DEFAULT_MAX_BYTES, RESOURCE_LIST_API_VERSIONS, fileOf, parseInput, resourceRefOf, serialize } from './io.js';
export type { ParseOptions, SerializeOptions } from './io.js';
export { setImage } from './rewrite.js';
export { apiGroup, findImages, formatField } from './walk.js';
export { KrmResultSchema, SeveritySchema } from './types.js';
export type { FieldPath, FileRef, ImageLocation, Item, KrmResult, Manifest } from './types.js';
