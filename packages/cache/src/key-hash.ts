// Object keys have no content to hash that stays stable, so each gets a random
// identity hash on first sight, held weakly so keys can still be collected.
const objectHashes = new WeakMap<object, number>();

/**
 * A 32-bit hash of a cache key, for the frequency sketch: strings and numbers by
 * content, objects by identity, anything else by its description. Computed
 * once per insertion, never on a hit. It only has to spread keys; collisions
 * merely blur frequency estimates.
 */
export function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return hashString(key);
    case 'number':
      return mix(Number.isInteger(key) ? key | 0 : hashString(String(key)));
    case 'object':
    case 'function': {
      if (key === null) return 0x5bd1e995;
      let hash = objectHashes.get(key);
      if (hash === undefined) {
        hash = (Math.random() * 0x1_0000_0000) >>> 0;
        objectHashes.set(key, hash);
      }
      return hash;
    }
    case 'symbol':
      return hashString(key.description ?? '');
    default:
      return hashString(String(key));
  }
}

/** FNV-1a over UTF-16 code units, finished with a mixer. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return mix(hash);
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function mix(value: number): number {
  let hash = value;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
