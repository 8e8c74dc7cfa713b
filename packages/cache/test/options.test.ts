import type { CacheSource } from '@aa/core';
import { describe, expect, it } from 'vitest';
import { L1_CACHE_DEFAULTS, L1Cache, type L1CacheOptions } from '../src/index.js';

const source: CacheSource<string, string> = { load: async (key) => key };
const construct = (options: unknown) => () => new L1Cache(source, options as L1CacheOptions);

describe('L1Cache', () => {
  describe('constructor', () => {
    it('accepts no options, an empty object and explicit undefined values', () => {
      expect(construct(undefined)).not.toThrow();
      expect(construct({})).not.toThrow();
      expect(
        construct({ ttlMs: undefined, maxEntries: undefined, clock: undefined }),
      ).not.toThrow();
      expect(L1_CACHE_DEFAULTS).toEqual({
        ttlMs: 60_000,
        ttlJitter: 0,
        maxEntries: 10_000,
        evictionPolicy: 'w-tinylfu',
        staleWhileRevalidateMs: 0,
        staleIfErrorMs: 0,
        failSafeRetryMs: 1_000,
        notFoundTtlMs: 0,
        name: 'L1Cache',
      });
    });

    it.each([
      [{ ttlMs: -1 }, 'Expected `ttlMs` to be a finite number > 0, got `-1` (number)'],
      [{ ttlMs: 0 }, 'Expected `ttlMs` to be a finite number > 0, got `0` (number)'],
      [{ ttlMs: Number.NaN }, 'Expected `ttlMs` to be a finite number > 0, got `NaN` (number)'],
      [{ ttlMs: Number.POSITIVE_INFINITY }, 'got `Infinity` (number)'],
      [{ ttlMs: '1000' }, 'Expected `ttlMs` to be a finite number > 0, got `"1000"` (string)'],
      [{ ttlMs: null }, 'Expected `ttlMs` to be a finite number > 0, got `null`'],
      [
        { maxEntries: 0 },
        'Expected `maxEntries` to be an integer from 1 to 16777216, got `0` (number)',
      ],
      [{ maxEntries: 1.5 }, 'got `1.5` (number)'],
      [{ maxEntries: -10 }, 'got `-10` (number)'],
      [{ maxEntries: 2 ** 32 }, 'got `4294967296` (number)'],
      [{ maxEntries: 10n }, 'got `10` (bigint)'],
      [
        { clock: {} },
        'Expected `clock` to be an object with a `now()` method, got `plain object` (object)',
      ],
      [
        { clock: Date.now },
        'Expected `clock` to be an object with a `now()` method, got `now` (function)',
      ],
      [
        { ttl: 1_000 },
        'Expected options among `ttlMs`, `ttlJitter`, `maxEntries`, `evictionPolicy`, `clock`, `scheduler`, `loadTimeoutMs`, `staleWhileRevalidateMs`, `staleIfErrorMs`, `failSafeRetryMs`, `notFoundTtlMs`, `name`, got unknown option `ttl`',
      ],
      [{ ttlJitter: 1 }, 'Expected `ttlJitter` to be a number >= 0 and < 1, got `1` (number)'],
      [{ ttlJitter: -0.1 }, 'got `-0.1` (number)'],
      [{ ttlJitter: Number.NaN }, 'got `NaN` (number)'],
      [
        { loadTimeoutMs: 0 },
        'Expected `loadTimeoutMs` to be a number > 0 and <= 2147483647, got `0` (number)',
      ],
      [{ loadTimeoutMs: 2 ** 31 }, 'got `2147483648` (number)'],
      [{ loadTimeoutMs: Number.POSITIVE_INFINITY }, 'got `Infinity` (number)'],
      [
        { staleWhileRevalidateMs: -1 },
        'Expected `staleWhileRevalidateMs` to be a finite number >= 0, got `-1` (number)',
      ],
      [
        { staleIfErrorMs: Number.NaN },
        'Expected `staleIfErrorMs` to be a finite number >= 0, got `NaN` (number)',
      ],
      [
        { failSafeRetryMs: '1s' },
        'Expected `failSafeRetryMs` to be a finite number >= 0, got `"1s"` (string)',
      ],
      [
        { notFoundTtlMs: Number.POSITIVE_INFINITY },
        'Expected `notFoundTtlMs` to be a finite number >= 0, got `Infinity` (number)',
      ],
      [
        { evictionPolicy: 'lfu' },
        "Expected `evictionPolicy` to be 'w-tinylfu' or 'lru', got `\"lfu\"` (string)",
      ],
      [{ name: '' }, 'Expected `name` to be a non-empty string, got `""` (string)'],
      [{ name: 42 }, 'Expected `name` to be a non-empty string, got `42` (number)'],
      [{ ttlMs: {} }, 'Expected `ttlMs` to be a finite number > 0, got `plain object` (object)'],
      [null, 'Expected `options` to be an object, got `null`'],
      [60_000, 'Expected `options` to be an object, got `60000` (number)'],
      [[], 'Expected `options` to be an object, got `Array(0)` (object)'],
    ])('rejects %o with a TypeError saying what was expected and given', (options, message) => {
      expect(construct(options)).toThrow(TypeError);
      expect(construct(options)).toThrow(message);
    });

    it.each([
      [undefined, '`undefined`'],
      [{}, '`plain object` (object)'],
      [{ load: 'not a function' }, '`plain object` (object)'],
    ])('rejects the source %o with a TypeError', (badSource, shown) => {
      const attempt = () => new L1Cache(badSource as unknown as CacheSource<string, string>);
      expect(attempt).toThrow(TypeError);
      expect(attempt).toThrow(
        `Expected \`source\` to be an object with a \`load()\` method, got ${shown}`,
      );
    });

    it('accepts a function as ttlMs', () => {
      expect(construct({ ttlMs: () => 1_000 })).not.toThrow();
    });

    it('reads the options once, at construction', async () => {
      const options = { ttlMs: 1_000, maxEntries: 1 };
      const cache = new L1Cache(source, options);
      options.maxEntries = 100;
      await cache.get('a');
      await cache.get('b');
      expect(cache.size).toBe(1);
    });
  });
});
