/**
 * A quick look for image references in raw manifest text, before it is parsed: the lines that read
 * like `image: <value>` (block or flow style, quoted or not, JSON too). It is only a hint — the KRM
 * function fetches and verifies the trust data of these images first, while the heap is still
 * small, and then parses the input for real; what counts is only what the parsed manifests hold
 * (an image the hint missed is resolved then, one it found in error costs a fetch and nothing else).
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
