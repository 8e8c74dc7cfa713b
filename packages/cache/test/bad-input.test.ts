import { type CacheSource, StorageError } from '@aa/core';
import { ManualClock, ManualScheduler } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { L1Cache, type L1CacheOptions, LoadTimeoutError } from '../src/index.js';
import { failOnUnhandledRejections } from './controlled-source.js';

// Every way a caller can hand L1Cache something it did not expect: option
// values, sources that break the CacheSource contract, odd keys and odd
// per-call options. The contract: bad options throw a TypeError at
// construction ("Expected `x` to be …, got …") before anything is loaded; a
// misbehaving source fails only the gets of the key it misbehaved for, with
// nothing cached for that key; odd keys coalesce and cache like any other; and
// whatever happens, the cache goes on serving every other key.

/**
 * A source whose value for a string key is `value:<key>` and, for any other
 * key, `value#<n>` for its n-th load overall (some keys cannot become text);
 * counts loads per key.
 */
function echoSource() {
  const loads = new Map<unknown, number>();
  let loadNumber = 0;
  const source: CacheSource<unknown, string> = {
    load: async (key) => {
      loads.set(key, (loads.get(key) ?? 0) + 1);
      loadNumber++;
      return typeof key === 'string' ? `value:${key}` : `value#${loadNumber}`;
    },
  };
  return { source, loadsOf: (key: unknown) => loads.get(key) ?? 0, total: () => sum(loads) };
}

function sum(counts: Map<unknown, number>): number {
  let total = 0;
  for (const count of counts.values()) total += count;
  return total;
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/**
 * Asserts `cache` still loads and serves an ordinary key, and holds it unless
 * the cache was configured not to (a TTL too short to outlive the load).
 */
async function expectServing(
  cache: L1Cache<unknown, string>,
  { key = 'control', held = true } = {},
): Promise<void> {
  await expect(cache.get(key)).resolves.toBe(`value:${key}`);
  if (held) expect(cache.peek(key)).toBe(`value:${key}`);
}

/** Whether `promise` settled within `ms` of real time. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return result;
}

type Row = [label: string, value: unknown];

/** Invalid for every numeric option. */
const notNumbers: Row[] = [
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['-1', -1],
  ['the smallest negative number', -Number.MIN_VALUE],
  ['a numeric string', '1000'],
  ['an empty string', ''],
  ['true', true],
  ['false', false],
  ['null', null],
  ['a bigint', 1000n],
  ['a symbol', Symbol('1000')],
  ['an empty object', {}],
  ['an object with valueOf()', { valueOf: () => 1000 }],
  ['a Number object', new Number(1000)],
  ['a Date', new Date(1000)],
  ['an empty array', []],
  ['an array of one number', [1000]],
  ['a null-prototype object', Object.create(null)],
];

const aFunction: Row = ['a function', () => 1000];

/** Each numeric option, the values it rejects beyond `notNumbers`, and edge values it accepts. */
const numericOptions: [name: string, extraInvalid: Row[], validEdges: Row[]][] = [
  [
    'ttlMs',
    [
      ['0', 0],
      ['-0', -0],
    ],
    [
      ['the smallest positive number', Number.MIN_VALUE],
      ['the largest number', Number.MAX_VALUE],
    ],
  ],
  [
    'ttlJitter',
    [['1', 1], ['1.5', 1.5], aFunction],
    [
      ['0', 0],
      ['-0', -0],
      ['0.999999', 0.999_999],
    ],
  ],
  [
    'maxEntries',
    [
      ['0', 0],
      ['-0', -0],
      ['1.5', 1.5],
      ['2 ** 32', 2 ** 32],
      ['Number.MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
      aFunction,
    ],
    [
      ['1', 1],
      ['2 ** 24 (the limit of a Map), allocating nothing up front', 2 ** 24],
    ],
  ],
  [
    'loadTimeoutMs',
    [['0', 0], ['-0', -0], ['2 ** 31', 2 ** 31], ['1e300', 1e300], aFunction],
    [
      ['the smallest positive number', Number.MIN_VALUE],
      ['2 ** 31 - 1', 2 ** 31 - 1],
    ],
  ],
  ...['staleWhileRevalidateMs', 'staleIfErrorMs', 'failSafeRetryMs', 'notFoundTtlMs'].map(
    (name): [string, Row[], Row[]] => [
      name,
      [aFunction],
      [
        ['0', 0],
        ['-0', -0],
        ['the largest number', Number.MAX_VALUE],
      ],
    ],
  ),
];

const invalidOptionRows = numericOptions.flatMap(([name, extra]) =>
  [...notNumbers, ...extra].map(([label, value]): [string, string, unknown] => [
    name,
    label,
    value,
  ]),
);

const validEdgeRows = numericOptions.flatMap(([name, , edges]) =>
  edges.map(([label, value]): [string, string, unknown] => [name, label, value]),
);

const construct = (source: CacheSource<unknown, string>, options: unknown) => () =>
  new L1Cache(source, options as L1CacheOptions<unknown, string>);

describe('L1Cache, given bad input', () => {
  failOnUnhandledRejections();

  describe('options', () => {
    it.each(invalidOptionRows)(
      'rejects `%s` given %s with a TypeError naming it, before loading anything',
      (name, _label, value) => {
        const { source, total } = echoSource();
        const attempt = construct(source, { [name]: value });
        expect(attempt).toThrow(TypeError);
        expect(attempt).toThrow(new RegExp(`^Expected \`${name}\` to be .+, got .+`));
        expect(total()).toBe(0);
      },
    );

    it.each(validEdgeRows)('accepts `%s` given %s, and serves', async (name, _label, value) => {
      const { source } = echoSource();
      const cache = new L1Cache(source, { [name]: value } as L1CacheOptions<unknown, string>);
      // A TTL of 5e-324 ms ends in the instant it starts: served, never held.
      await expectServing(cache, { held: !(name === 'ttlMs' && value === Number.MIN_VALUE) });
      expect(cache.size).toBeLessThanOrEqual(name === 'maxEntries' ? (value as number) : 10_000);
    });

    it.each([
      ['an empty string', ''],
      ['null', null],
      ['a number', 1],
      ['a symbol', Symbol('cache')],
      ['an object', {}],
      ['an array', ['cache']],
      ['a String object', new String('cache')],
      ['a function', () => 'cache'],
    ])('rejects `name` given %s', (_label, value) => {
      expect(construct(echoSource().source, { name: value })).toThrow(
        /^Expected `name` to be a non-empty string, got /,
      );
    });

    it.each([
      ['an upper-case name', 'LRU'],
      ['an unknown name', 'lfu'],
      ['an empty string', ''],
      ['null', null],
      ['a number', 1],
      ['an object', { policy: 'lru' }],
      ['a symbol', Symbol('lru')],
    ])('rejects `evictionPolicy` given %s', (_label, value) => {
      expect(construct(echoSource().source, { evictionPolicy: value })).toThrow(
        /^Expected `evictionPolicy` to be .+, got /,
      );
    });

    it.each([
      ['null', null],
      ['a number', 1],
      ['a string', 'now'],
      ['an empty object', {}],
      ['an object whose now is a number', { now: 1 }],
      ['an object whose now is a string', { now: 'now' }],
      ['an array', [() => 1]],
      ['a bare function', () => 1],
      ['Date, whose now() is static', Date],
    ])('rejects `clock` given %s', (_label, value) => {
      expect(construct(echoSource().source, { clock: value })).toThrow(
        /^Expected `clock` to be an object with a `now\(\)` method, got /,
      );
    });

    // The constructor reads the clock once already; a reading that is not a
    // finite number is accepted today and silently breaks expiry: with NaN or
    // a string every entry stays fresh forever (NaN <= now is false), with
    // ±Infinity no entry is ever fresh and every get loads.
    it.each([
      ['NaN', () => Number.NaN],
      ['a string', () => 'soon'],
      ['undefined', () => undefined],
      ['Infinity', () => Number.POSITIVE_INFINITY],
      ['-Infinity', () => Number.NEGATIVE_INFINITY],
    ])('rejects a clock whose reading is %s, at construction', (_label, now) => {
      expect(construct(echoSource().source, { clock: { now } })).toThrow(
        /^Expected `clock\.now\(\)` to return a finite number/,
      );
    });

    it.each([
      ['null', null],
      ['a number', 1],
      ['a string', 'ttlMs'],
      ['true', true],
      ['a bigint', 1n],
      ['a symbol', Symbol('options')],
      ['an array', [{ ttlMs: 1 }]],
      ['a function', () => ({ ttlMs: 1 })],
    ])('rejects options given as %s', (_label, options) => {
      expect(construct(echoSource().source, options)).toThrow(
        /^Expected `options` to be an object, got /,
      );
    });

    it.each([
      ['a misspelt option', { ttl: 1 }],
      ['an option in the wrong case', { TTLMS: 1 }],
      ['an own `__proto__` key, as JSON.parse makes', JSON.parse('{"__proto__":{"ttlMs":-1}}')],
      ['a `constructor` key', { constructor: { prototype: { polluted: true } } }],
      ['a `prototype` key', { prototype: { polluted: true } }],
    ])('rejects %s as an unknown option and pollutes nothing', (_label, options) => {
      expect(construct(echoSource().source, options)).toThrow(/, got unknown option `/);
      expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
      expect(Object.hasOwn(Object.prototype, 'ttlMs')).toBe(false);
    });

    it('checks an inherited option value like an own one', () => {
      expect(construct(echoSource().source, Object.create({ ttlMs: -1 }))).toThrow(
        'Expected `ttlMs` to be a finite number > 0, got `-1` (number)',
      );
    });

    it('accepts a null-prototype options object and a class instance as a clock', async () => {
      const options = Object.assign(Object.create(null), {
        ttlMs: 1_000,
        clock: new ManualClock(),
      });
      await expectServing(new L1Cache(echoSource().source, options));
    });

    it.each([
      ['undefined', undefined],
      ['null', null],
      ['a number', 1],
      ['a string', 'source'],
      ['an empty object', {}],
      ['an object whose load is not a function', { load: 'load' }],
      ['a bare load function', async (key: unknown) => key],
      ['an array', [{ load: async () => 1 }]],
    ])('rejects a source given as %s', (_label, source) => {
      expect(construct(source as CacheSource<unknown, string>, undefined)).toThrow(
        /^Expected `source` to be an object with a `load\(\)` method, got /,
      );
    });

    it('keeps entries correct and bounded with extreme TTLs whose sum overflows to Infinity', async () => {
      const clock = new ManualClock();
      const { source } = echoSource();
      const cache = new L1Cache(source, {
        clock,
        maxEntries: 10,
        ttlMs: Number.MAX_VALUE,
        ttlJitter: 0.9,
        staleWhileRevalidateMs: Number.MAX_VALUE,
        staleIfErrorMs: Number.MAX_VALUE,
      });
      for (let step = 0; step < 5_000; step++) {
        const key = `k${(step * 7_919) % 37}`;
        if (step % 13 === 0) cache.invalidate(key);
        if (step % 101 === 0) clock.advance(step);
        await expect(cache.get(key)).resolves.toBe(`value:${key}`);
        expect(cache.size).toBeLessThanOrEqual(10);
      }
    });
  });

  describe('a source that breaks its contract', () => {
    /** What the source does for a key, and how the get of it settles. */
    type Misbehaviour = [
      label: string,
      load: () => unknown,
      outcome: { rejectsWith: (reason: unknown) => void } | { resolvesTo: unknown },
    ];

    const thrown = { sentinel: true };
    const misbehaviours: Misbehaviour[] = [
      [
        'throws an Error synchronously',
        () => {
          throw new Error('sync');
        },
        { rejectsWith: (reason) => expect(reason).toEqual(new Error('sync')) },
      ],
      ...(
        [
          ['a string', 'sync string'],
          ['undefined', undefined],
          ['null', null],
          ['a number', 42],
          ['a symbol', Symbol.for('thrown')],
          ['a plain object', thrown],
        ] as const
      ).map(
        ([label, value]): Misbehaviour => [
          `throws ${label} synchronously`,
          () => {
            throw value;
          },
          { rejectsWith: (reason) => expect(reason).toBe(value) },
        ],
      ),
      [
        'rejects with undefined',
        () => Promise.reject(undefined),
        { rejectsWith: (reason) => expect(reason).toBeUndefined() },
      ],
      [
        'rejects with a forged NotFound that lacks the StorageError brand',
        () =>
          Promise.reject({ name: 'StorageError', kind: 'NotFound', code: 'AA_STORAGE_NOT_FOUND' }),
        { rejectsWith: (reason) => expect(reason).toMatchObject({ kind: 'NotFound' }) },
      ],
      [
        'returns a thenable whose then() throws',
        () => ({
          // biome-ignore lint/suspicious/noThenProperty: the point of the test
          then() {
            throw new Error('then');
          },
        }),
        { rejectsWith: (reason) => expect(reason).toEqual(new Error('then')) },
      ],
      [
        'returns a thenable whose then getter throws',
        () =>
          Object.defineProperty({}, 'then', {
            get() {
              throw new Error('then getter');
            },
          }),
        { rejectsWith: (reason) => expect(reason).toEqual(new Error('then getter')) },
      ],
      [
        'returns a thenable that rejects with a string',
        // biome-ignore lint/suspicious/noThenProperty: the point of the test
        () => ({ then: (_: unknown, reject: (reason: unknown) => void) => reject('nope') }),
        { rejectsWith: (reason) => expect(reason).toBe('nope') },
      ],
      [
        'returns a thenable that resolves, then rejects, then throws',
        () => ({
          // biome-ignore lint/suspicious/noThenProperty: the point of the test
          then(resolve: (value: unknown) => void, reject: (reason: unknown) => void) {
            resolve('value:first');
            reject(new Error('second'));
            throw new Error('third');
          },
        }),
        { resolvesTo: 'value:first' },
      ],
    ];

    const loadTimeoutMs = 50;

    function misbehavingCache(bad: () => unknown) {
      const { source: good, loadsOf } = echoSource();
      const badLoads = { count: 0 };
      const source: CacheSource<unknown, string> = {
        load(key, options) {
          if (key !== 'bad') return good.load(key, options);
          badLoads.count++;
          return bad() as Promise<string>;
        },
      };
      const cache = new L1Cache(source, { loadTimeoutMs, notFoundTtlMs: 60_000 });
      return { cache, badLoads, loadsOf };
    }

    it.each(misbehaviours)(
      'settles every get of a key whose source %s, and serves other keys',
      async (_label, bad, expected) => {
        const { cache, badLoads } = misbehavingCache(bad);
        const gets = [cache.get('bad'), cache.get('bad'), cache.get('bad')];
        for (const get of gets) {
          if ('resolvesTo' in expected) {
            await expect(get).resolves.toBe(expected.resolvesTo);
          } else {
            expected.rejectsWith(
              await get.then(
                () => 'resolved!',
                (reason: unknown) => reason,
              ),
            );
          }
        }
        expect(badLoads.count).toBe(1);
        expect(cache.pendingLoads).toBe(0);
        await expectServing(cache);
        if ('rejectsWith' in expected) {
          // Nothing was cached for it: the next get asks the source again.
          expect(cache.peek('bad')).toBeUndefined();
          await cache.get('bad').catch(() => undefined);
          expect(badLoads.count).toBe(2);
        }
      },
    );

    it('treats a plain (non-promise) return value as the loaded value, as `await` would', async () => {
      const { cache, badLoads } = misbehavingCache(() => 'value:plain');
      await expect(cache.get('bad')).resolves.toBe('value:plain');
      await expect(cache.get('bad')).resolves.toBe('value:plain');
      expect(badLoads.count).toBe(1);
      await expectServing(cache);
    });

    it('times out a thenable that never calls back, and caches nothing for it', async () => {
      // biome-ignore lint/suspicious/noThenProperty: the point of the test
      const { cache, badLoads } = misbehavingCache(() => ({ then() {} }));
      await expect(cache.get('bad')).rejects.toBeInstanceOf(LoadTimeoutError);
      expect(cache.pendingLoads).toBe(0);
      await expectServing(cache);
      await expect(cache.get('bad')).rejects.toBeInstanceOf(LoadTimeoutError);
      expect(badLoads.count).toBe(2);
    });

    it('remembers a real NotFound but not one forged without the StorageError brand', async () => {
      const real = misbehavingCache(() => Promise.reject(StorageError.notFound('gone')));
      await expect(real.cache.get('bad')).rejects.toMatchObject({ kind: 'NotFound' });
      await expect(real.cache.get('bad')).rejects.toMatchObject({ kind: 'NotFound' });
      expect(real.badLoads.count).toBe(1);
    });

    // The settle path inspects the rejection reason (isStorageError reads a
    // symbol-keyed property). A reason whose property reads throw must not make
    // that inspection throw inside the load's then-callback, or the flight would
    // never settle.
    it.each([
      [
        'a Proxy whose get trap throws',
        () =>
          new Proxy(
            {},
            {
              get() {
                throw new Error('get trap');
              },
            },
          ),
      ],
      ['a revoked Proxy', revokedProxy],
    ])('passes a rejection with %s through to the callers at once', async (_label, make) => {
      const reason = make();
      const { cache } = misbehavingCache(() => Promise.reject(reason));
      const get = cache.get('bad');
      // Not `await`ed as a value: resolving with a hostile Proxy makes the
      // promise machinery read its `then`, which throws.
      let caught: unknown;
      get.catch((error: unknown) => {
        caught = error;
      });
      expect(await settlesWithin(get, loadTimeoutMs / 2)).toBe(true);
      expect(caught === reason).toBe(true);
      expect(cache.pendingLoads).toBe(0);
      await expectServing(cache);
    });
  });

  describe('odd keys', () => {
    const oddKeys: [string, unknown][] = [
      ['NaN', Number.NaN],
      ['undefined', undefined],
      ['null', null],
      ['-0', -0],
      ['an empty string', ''],
      ['a 1 MB string', 'k'.repeat(1_000_000)],
      ['a symbol', Symbol('key')],
      ['a plain object', { id: 1 }],
      ['a null-prototype object', Object.create(null)],
      ['an array', [1, 2]],
      ['a function', () => 'key'],
      ['a bigint', 10n ** 30n],
      ['a boxed string', new String('boxed')],
    ];

    it.each(oddKeys)('coalesces, caches and invalidates %s like any key', async (_label, key) => {
      const { source, loadsOf } = echoSource();
      const cache = new L1Cache(source);
      const values = await Promise.all(Array.from({ length: 10 }, () => cache.get(key)));
      expect(new Set(values).size).toBe(1);
      expect(loadsOf(key)).toBe(1);

      await cache.get(key);
      expect(loadsOf(key)).toBe(1);
      expect(cache.peek(key)).toBe(values[0]);

      expect(cache.invalidate(key)).toBe(true);
      await cache.get(key);
      expect(loadsOf(key)).toBe(2);
      await expectServing(cache);
      expect(cache.size).toBe(2);
    });

    it('treats -0 and 0 as one key, and NaN as equal to itself, as Map does', async () => {
      const { source, loadsOf } = echoSource();
      const cache = new L1Cache(source);
      await Promise.all([cache.get(-0), cache.get(0), cache.get(Number.NaN), cache.get(0 / 0)]);
      expect(loadsOf(0)).toBe(1);
      expect(loadsOf(Number.NaN)).toBe(1);
      expect(cache.size).toBe(2);
    });

    it('tells equal-looking objects apart: keys are compared by identity', async () => {
      const { source, total } = echoSource();
      const cache = new L1Cache(source);
      await Promise.all([cache.get({ id: 1 }), cache.get({ id: 1 })]);
      expect(total()).toBe(2);
    });

    it('caches nothing for an odd key whose load fails, and serves other keys', async () => {
      let fail = true;
      const cache = new L1Cache<unknown, string>({
        load: async (key) => {
          if (fail) throw new Error('down');
          return `value:${typeof key === 'string' ? key : '?'}`;
        },
      });
      for (const [, key] of oddKeys) {
        await expect(cache.get(key)).rejects.toThrow('down');
        expect(cache.peek(key)).toBeUndefined();
      }
      expect(cache.size).toBe(0);
      fail = false;
      await expectServing(cache);
    });

    // A timed-out load builds a LoadTimeoutError whose message describes the
    // key; describing a revoked Proxy throws, inside the timeout's timer
    // callback, so the error escapes as an uncaught exception (the process
    // dies) and the callers are never settled.
    it('times out the load of a revoked-Proxy key with a LoadTimeoutError', async () => {
      const scheduler = new ManualScheduler();
      const cache = new L1Cache<unknown, string>(
        { load: () => new Promise<string>(() => {}) },
        { loadTimeoutMs: 10, scheduler },
      );
      const get = cache.get(revokedProxy());
      const caught = get.catch((error: unknown) => error);
      scheduler.advance(10);
      expect(await settlesWithin(get, 200)).toBe(true);
      expect(await caught).toBeInstanceOf(LoadTimeoutError);
      expect(cache.pendingLoads).toBe(0);
    });
  });

  describe('odd per-call options', () => {
    it.each([
      ['null options', null],
      ['numeric options', 1],
      ['string options', 'signal'],
      ['options without a signal', {}],
    ])('answers a get given %s as one without a signal', async (_label, options) => {
      const { source } = echoSource();
      const cache = new L1Cache(source);
      await expect(cache.get('key', options as never)).resolves.toBe('value:key');
    });

    it.each([
      ['a plain object as the signal', {}],
      ['a string as the signal', 'abort'],
      ['null as the signal', null],
    ])(
      'rejects, never throws, a get given %s, and serves other callers',
      async (_label, signal) => {
        const { source, loadsOf } = echoSource();
        const cache = new L1Cache(source);
        let get: Promise<string> | undefined;
        expect(() => {
          get = cache.get('key', { signal } as never);
        }).not.toThrow();
        await expect(get).rejects.toBeInstanceOf(TypeError);
        await expect(cache.get('key')).resolves.toBe('value:key');
        expect(loadsOf('key')).toBe(1);
        expect(cache.pendingLoads).toBe(0);
        await expectServing(cache);
      },
    );
  });
});
