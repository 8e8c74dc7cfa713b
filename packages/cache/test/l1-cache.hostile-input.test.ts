import { type CacheSource, StorageError } from '@aa/core';
import { describe, expect, it } from 'vitest';
import { CacheDisposedError, L1Cache } from '../src/index.js';
import { failOnUnhandledRejections } from './controlled-source.js';

// `get` is documented never to throw synchronously: whatever a caller hands it
// as per-call options, a bad one rejects that get and disturbs nothing else.

function countingSource() {
  const source = {
    calls: 0,
    load: async (key: string) => {
      source.calls++;
      return `value:${key}`;
    },
  } satisfies CacheSource<string, string> & { calls: number };
  return source;
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

const boom = new Error('getter threw');
const throwingGetter = (name: string) =>
  Object.defineProperty({}, name, {
    get() {
      throw boom;
    },
  });

const HOSTILE_OPTIONS: ReadonlyArray<readonly [string, () => unknown]> = [
  ['options with a throwing `signal` getter', () => throwingGetter('signal')],
  ['a revoked Proxy as the options', revokedProxy],
  ['a revoked Proxy as the signal', () => ({ signal: revokedProxy() })],
  [
    'an object inheriting from AbortSignal.prototype as the signal',
    () => ({ signal: Object.create(AbortSignal.prototype) }),
  ],
  [
    'an object that only pretends to be an AbortSignal',
    () => ({
      signal: {
        aborted: false,
        reason: undefined,
        addEventListener() {
          throw boom;
        },
        removeEventListener() {},
      },
    }),
  ],
  [
    'a signal whose `aborted` getter throws',
    () => ({
      signal: {
        get aborted() {
          throw boom;
        },
      },
    }),
  ],
];

describe('L1Cache', () => {
  describe('get() given hostile per-call options', () => {
    failOnUnhandledRejections();

    describe.each(HOSTILE_OPTIONS)('%s', (_label, makeOptions) => {
      it('rejects rather than throws, starts no load, and serves other callers', async () => {
        const source = countingSource();
        const cache = new L1Cache(source);
        let read: Promise<string> | undefined;
        expect(() => {
          read = cache.get('k', makeOptions() as never);
        }).not.toThrow();
        await expect(read).rejects.toBeDefined();
        expect(source.calls).toBe(0);
        expect(cache.pendingLoads).toBe(0);
        await expect(cache.get('k')).resolves.toBe('value:k');
      });

      it('rejects rather than throws when the key is cached', async () => {
        const source = countingSource();
        const cache = new L1Cache(source);
        await cache.get('k');
        let read: Promise<string> | undefined;
        expect(() => {
          read = cache.get('k', makeOptions() as never);
        }).not.toThrow();
        await expect(read).rejects.toBeDefined();
      });
    });

    it.each(['addEventListener', 'removeEventListener'] as const)(
      'settles a get whose real signal has its own throwing %s',
      async (method) => {
        const source = countingSource();
        const cache = new L1Cache(source);
        const { signal } = new AbortController();
        Object.defineProperty(signal, method, {
          value: () => {
            throw boom;
          },
        });
        let read: Promise<string> | undefined;
        expect(() => {
          read = cache.get('k', { signal });
        }).not.toThrow();
        if (method === 'addEventListener') await expect(read).rejects.toBe(boom);
        else await expect(read).resolves.toBe('value:k');
        await expect(cache.get('k')).resolves.toBe('value:k');
        expect(cache.pendingLoads).toBe(0);
      },
    );

    it('rejects with a TypeError naming the option when the signal is not an AbortSignal', async () => {
      const cache = new L1Cache(countingSource());
      await expect(
        cache.get('k', { signal: Object.create(AbortSignal.prototype) }),
      ).rejects.toThrow(/^Expected `options.signal` to be an AbortSignal, got /);
    });

    it('rejects with what a throwing getter threw', async () => {
      const cache = new L1Cache(countingSource());
      await expect(cache.get('k', throwingGetter('signal') as never)).rejects.toBe(boom);
    });

    it('reads the signal once', async () => {
      const cache = new L1Cache(countingSource());
      let reads = 0;
      const options = {
        get signal() {
          reads++;
          return new AbortController().signal;
        },
      };
      await cache.get('k', options);
      await cache.get('k', options);
      expect(reads).toBe(2);
    });

    describe.each(['invalidate', 'dispose'] as const)(
      'an options getter that calls %s()',
      (how) => {
        it('is honoured: a value held before it is not served', async () => {
          const source = countingSource();
          const cache = new L1Cache(source);
          await cache.get('k');
          const options = {
            get signal() {
              if (how === 'invalidate') cache.invalidate('k');
              else cache.dispose();
              return undefined;
            },
          };
          const read = cache.get('k', options);
          if (how === 'dispose') {
            await expect(read).rejects.toBeInstanceOf(CacheDisposedError);
            expect(source.calls).toBe(1);
          } else {
            await expect(read).resolves.toBe('value:k');
            expect(source.calls).toBe(2);
          }
        });
      },
    );

    it('still rejects with the source error for a key whose load fails', async () => {
      const cache = new L1Cache<string, string>({
        load: async () => {
          throw StorageError.backend('down');
        },
      });
      await expect(cache.get('k', { signal: new AbortController().signal })).rejects.toThrow(
        'down',
      );
    });
  });
});
