/**
 * `image: <value>` lines of raw manifest text, before parsing: only a hint for prefetching trust data
 * (the parsed manifests decide; a miss is resolved later, a false find costs one fetch).
 */

/** `image:` as a key (after a line start, `- `, `{` or `,`), then one scalar value. */
const IMAGE_VALUE = /(?:^|[\s{,])(?:"image"|'image'|image)[ \t]*:[ \t]*(?:"([^"\\\r\n]{1,512})"|'([^'\r\n]{1,512})'|([^\s"'#,{}[\]][^\s#,{}[\]]{0,511})(?=[\s#,{}[\]]|$))/gm;

/** Distinct candidate image strings in `text`, in order of first appearance, at most `max`. */
export function prescanImages(text: string, max = 2000): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(IMAGE_VALUE)) {
    const value = m[1] ?? m[2] ?? m[3];
    if (value === undefined || value === '' || seen.has(value)) continue;
    seen.add(value);
    if (seen.size >= max) break;
  }
  return [...seen];
}
