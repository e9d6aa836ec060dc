// Caches kept as a Map with a fixed number of entries: the oldest insertion (Map order) leaves for a new key.

/** Sets `key` in `map`, first dropping the oldest entry when `map` already holds `max` other keys. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
