/**
 * A bounded memo for pure, immutable results (parsed certificates, public key objects): the same
 * bytes come back for every GUN that shares a key and on every refresh in the long-running webhook.
 * When full, the oldest entries go first.
 */
export function boundedMemo<V>(max: number): (key: string, compute: () => V) => V {
  const entries = new Map<string, V>();
  return (key, compute) => {
    if (entries.has(key)) return entries.get(key) as V;
    const value = compute();
    entries.set(key, value);
    if (entries.size > max) entries.delete(entries.keys().next().value as string);
    return value;
  };
}
