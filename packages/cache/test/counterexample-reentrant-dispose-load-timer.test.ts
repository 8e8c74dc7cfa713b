import type { LoadOptions } from '@aa/core';
import { StorageError } from '@aa/core';
import { ManualScheduler } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { CacheDisposedError, L1Cache } from '../src/index.js';
import { ControlledSource, settle } from './controlled-source.js';

/** A source whose next `load` first calls `onNextLoad`, synchronously: a re-entrant source. */
class ReentrantSource extends ControlledSource<string, string> {
  onNextLoad: (() => void) | undefined;

  override load(key: string, options?: LoadOptions): Promise<string> {
    const loading = super.load(key, options);
    const reenter = this.onNextLoad;
    this.onNextLoad = undefined;
    reenter?.();
    return loading;
  }
}

// Found by test/property/l1-cache.model.test.ts (presets "loadTimeoutMs" and
// "every option, maxEntries 2"), shrunk to:
//   1. arm the source: its next load calls dispose() on the cache
//   2. get('a') → starts load #0, which calls dispose() → the get rejects with CacheDisposedError
//   end: settle every pending load (load #0 rejects), flush → 1 timer left
// Loader.start() calls the source before it starts the flight's timeout timer, so
// a dispose() made from inside load() settles the flight first and the timer
// started afterwards is never cleared: dispose() does not release every timer.
describe('L1Cache', () => {
  describe('dispose() called by the source from inside load()', () => {
    it('leaves no load-timeout timer behind', async () => {
      const scheduler = new ManualScheduler();
      const source = new ReentrantSource();
      const cache = new L1Cache(source, { scheduler, ttlMs: 256, loadTimeoutMs: 192 });

      source.onNextLoad = () => cache.dispose();
      const read = cache.get('a');
      source.reject(0, StorageError.backend('load #0'));
      await settle();

      await expect(read).rejects.toBeInstanceOf(CacheDisposedError);
      expect(cache.pendingLoads).toBe(0);
      expect(scheduler.pendingTimers).toBe(0);
    });
  });
});
