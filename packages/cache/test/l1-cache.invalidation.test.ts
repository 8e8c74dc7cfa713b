import { describe, expect, it } from 'vitest';
import { L1Cache } from '../src/index.js';
import { ControlledSource, settle } from './controlled-source.js';

function setup() {
  const source = new ControlledSource<string, string>();
  return { source, cache: new L1Cache(source) };
}

describe('L1Cache', () => {
  describe('invalidate() during a load in flight', () => {
    it('keeps the older load from writing its value into the cache', async () => {
      const { source, cache } = setup();
      const before = cache.get('k');

      cache.invalidate('k');
      source.resolve(0, 'stale');

      await expect(before).resolves.toBe('stale');
      expect(cache.peek('k')).toBeUndefined();
      expect(cache.size).toBe(0);
    });

    it('makes a later get start a new load instead of joining the older one', async () => {
      const { source, cache } = setup();
      const before = cache.get('k');
      cache.invalidate('k');
      const after = cache.get('k');

      expect(source.callCount).toBe(2);
      source.resolve(0, 'stale');
      source.resolve(1, 'fresh');

      await expect(before).resolves.toBe('stale');
      await expect(after).resolves.toBe('fresh');
      await expect(cache.get('k')).resolves.toBe('fresh');
      expect(source.callCount).toBe(2);
    });

    it('lets callers who joined the older load before the invalidation get its result, not an error', async () => {
      const { source, cache } = setup();
      const joined = [cache.get('k'), cache.get('k'), cache.get('k')];
      cache.invalidate('k');
      source.resolve(0, 'answer to what they asked');

      await expect(Promise.all(joined)).resolves.toEqual(
        Array(3).fill('answer to what they asked'),
      );
    });

    it('is not undone when the older load settles after the newer one has committed', async () => {
      const { source, cache } = setup();
      void cache.get('k');
      cache.invalidate('k');
      const newer = cache.get('k');
      source.resolve(1, 'fresh');
      await newer;

      source.resolve(0, 'stale');
      await settle();

      expect(cache.peek('k')).toBe('fresh');
      await expect(cache.get('k')).resolves.toBe('fresh');
    });

    it('does not let the older load settling first disturb the newer load in flight', async () => {
      const { source, cache } = setup();
      void cache.get('k');
      cache.invalidate('k');
      const newer = cache.get('k');

      source.resolve(0, 'stale');
      await settle();
      expect(cache.peek('k')).toBeUndefined();
      expect(cache.pendingLoads).toBe(1);

      const joined = cache.get('k');
      expect(source.callCount).toBe(2);
      source.resolve(1, 'fresh');
      await expect(Promise.all([newer, joined])).resolves.toEqual(['fresh', 'fresh']);
    });

    it('does not let the older load failing evict the newer load in flight', async () => {
      const { source, cache } = setup();
      const older = cache.get('k');
      cache.invalidate('k');
      const newer = cache.get('k');

      source.reject(0, new Error('older failed'));
      await expect(older).rejects.toThrow('older failed');
      expect(cache.pendingLoads).toBe(1);

      void cache.get('k');
      expect(source.callCount).toBe(2);
      source.resolve(1, 'fresh');
      await expect(newer).resolves.toBe('fresh');
    });

    it('returns false when only a load was in flight, yet still disowns that load', async () => {
      const { source, cache } = setup();
      void cache.get('k');
      expect(cache.invalidate('k')).toBe(false);
      expect(cache.pendingLoads).toBe(0);
      source.resolve(0, 'stale');
      await settle();
      expect(cache.size).toBe(0);
    });

    it('leaves other keys and their loads alone', async () => {
      const { source, cache } = setup();
      const other = cache.get('other');
      void cache.get('k');
      cache.invalidate('k');
      source.resolve(0, 'kept');
      await other;
      expect(cache.peek('other')).toBe('kept');
    });
  });

  describe('clear()', () => {
    it('drops every entry', async () => {
      const { source, cache } = setup();
      const reads = [cache.get('a'), cache.get('b')];
      source.resolve(0, 'a');
      source.resolve(1, 'b');
      await Promise.all(reads);

      cache.clear();

      expect(cache.size).toBe(0);
      expect(cache.peek('a')).toBeUndefined();
    });

    it('keeps every load in flight from writing, while their callers still get results', async () => {
      const { source, cache } = setup();
      const reads = [cache.get('a'), cache.get('b')];
      cache.clear();
      expect(cache.pendingLoads).toBe(0);

      const after = cache.get('a');
      expect(source.callCount).toBe(3);
      source.resolve(0, 'stale a');
      source.resolve(1, 'stale b');
      await expect(Promise.all(reads)).resolves.toEqual(['stale a', 'stale b']);
      expect(cache.peek('a')).toBeUndefined();
      expect(cache.peek('b')).toBeUndefined();

      source.resolve(2, 'fresh a');
      await expect(after).resolves.toBe('fresh a');
      expect(cache.peek('a')).toBe('fresh a');
    });
  });
});
