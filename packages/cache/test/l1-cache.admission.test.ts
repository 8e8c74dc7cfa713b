import { describe, expect, it } from 'vitest';
import { L1Cache } from '../src/index.js';

function countingSource() {
  let loads = 0;
  return {
    get loads() {
      return loads;
    },
    load: async (key: string) => {
      loads++;
      return key;
    },
  };
}

describe('L1Cache', () => {
  describe('evictionPolicy', () => {
    // 100 hot keys read round-robin, one read in four; the other three are
    // random agent ids, so 300 of them pass between two reads of a hot key.
    async function hotLoadsDuringFlood(cache: L1Cache<string, string>, source: { loads: number }) {
      for (let round = 0; round < 3; round++) {
        for (let index = 0; index < 100; index++) await cache.get(`hot${index}`);
      }
      let hotLoads = 0;
      for (let step = 0; step < 16_000; step++) {
        if (step % 4 !== 0) {
          await cache.get(`random${step}`);
          continue;
        }
        const before = source.loads;
        await cache.get(`hot${(step / 4) % 100}`);
        hotLoads += source.loads - before;
      }
      return hotLoads;
    }

    it('defaults to W-TinyLFU: a flood of random agent ids does not evict the hot ones', async () => {
      const source = countingSource();
      const cache = new L1Cache(source, { maxEntries: 200 });
      expect(await hotLoadsDuringFlood(cache, source)).toBeLessThan(100);
      expect(cache.size).toBe(200);
    });

    it("is plain LRU with 'lru', where the same flood reloads every hot read", async () => {
      const source = countingSource();
      const cache = new L1Cache(source, { maxEntries: 200, evictionPolicy: 'lru' });
      expect(await hotLoadsDuringFlood(cache, source)).toBeGreaterThan(3_900);
    });
  });
});
