/**
 * A value made once per owner (a campaign definition, a list) and key, kept
 * for as long as the owner lives: a new version of the owner starts afresh,
 * and nothing is kept for an owner no one holds any more.
 */
export function memoPer<O extends object, K, V>(): (owner: O, key: K, make: () => V) => V {
  const made = new WeakMap<O, Map<K, V>>();
  return (owner, key, make) => {
    let byKey = made.get(owner);
    if (!byKey) made.set(owner, (byKey = new Map()));
    if (byKey.has(key)) return byKey.get(key) as V;
    const value = make();
    byKey.set(key, value);
    return value;
  };
}
