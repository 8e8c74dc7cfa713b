import { describe, expect, it } from 'vitest';
import {
  AgentId,
  describeValue,
  isInvalidIdError,
  isStorageError,
  OrgId,
  POLICY_LIMITS,
  parsePolicyDocument,
  SessionId,
  type UuidIdCodec,
} from '../src/index.js';

// Every public entry point that takes input from outside, fed everything a
// caller, a backend row or an attacker could hand it. The contract under test:
// each bad input gets a typed error (InvalidIdError, or a StorageError of kind
// Serialization) with a short message that says what was wrong; nothing else
// is thrown, nothing hangs, and nothing leaks into shared prototypes.

const TEXT = '6f9619ff-8b86-d011-b42d-00cf4fc964ff';
/** An error message is for a log line: it must stay short whatever the input. */
const MAX_MESSAGE_CHARS = 2_000;

/** What a call did, as one short line, so a failing row reads as "expected X, got Y". */
function outcome(call: () => unknown): string {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    if (isInvalidIdError(error)) return `InvalidIdError(${error.idType})`;
    if (isStorageError(error)) return `StorageError(${error.kind})`;
    return `untyped ${error instanceof Error ? `${error.name}: ${error.message}` : typeof error}`;
  }
  return `returned ${typeof result === 'string' ? JSON.stringify(result.slice(0, 80)) : typeof result}`;
}

/** The error `call` throws; fails the test if it returns. */
function thrownBy(call: () => unknown): Error {
  try {
    call();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${typeof error}`);
  }
  throw new Error('expected a throw, but the call returned');
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/**
 * Values whose inspection itself throws: the error path must not trip over
 * them while describing them. A revoked Proxy throws a TypeError on almost any
 * operation; a Proxy can throw from any trap; an ordinary-looking instance can
 * throw from an inherited getter.
 */
const hostileValues: [string, () => unknown][] = [
  ['a revoked Proxy', revokedProxy],
  [
    'a Proxy whose getPrototypeOf trap throws',
    () =>
      new Proxy(
        {},
        {
          getPrototypeOf() {
            throw new Error('getPrototypeOf trap');
          },
        },
      ),
  ],
  [
    'an object whose inherited `constructor` getter throws',
    () =>
      Object.create(
        Object.create(null, {
          constructor: {
            get() {
              throw new Error('constructor getter');
            },
          },
        }),
      ),
  ],
];

/** Strings that are not UUID text, with what is wrong with them. */
const malformedTexts: [string, string][] = [
  ['empty text', ''],
  ['one digit short', TEXT.slice(1)],
  ['one digit long', `${TEXT}0`],
  ['35 characters with all hyphens', '6f9619ff-8b86-d011-b42d-00cf4fc964f'],
  ['37 characters with all hyphens', '6f9619ff-8b86-d011-b42d-00cf4fc964fff'],
  ['a 10 MB string', 'a'.repeat(10_000_000)],
  ['a non-hex letter', TEXT.replace('6', 'g')],
  ['a non-ASCII digit', TEXT.replace('6', '٦')],
  ['a full-width digit', TEXT.replace('6', '６')],
  ['a NUL character', TEXT.replace('6', '\0')],
  ['an emoji', TEXT.replace('6f', '🙂')],
  ['no hyphens', TEXT.replaceAll('-', '')],
  ['one hyphen missing', TEXT.replace('-', '')],
  ['an extra hyphen', TEXT.replace('-', '--')],
  ['a hyphen in the wrong place', '6f9619f-f8b86-d011-b42d-00cf4fc964ff'],
  ['underscores instead of hyphens', TEXT.replaceAll('-', '_')],
  ['an en dash instead of a hyphen', TEXT.replace('-', '–')],
  ['braces', `{${TEXT}}`],
  ['a urn prefix', `urn:uuid:${TEXT}`],
  ['a leading space', ` ${TEXT}`],
  ['a trailing space', `${TEXT} `],
  ['a trailing newline', `${TEXT}\n`],
  ['a leading tab', `\t${TEXT}`],
  ['a trailing carriage return', `${TEXT}\r`],
  ['a non-breaking space', `${TEXT}\u00a0`],
  ['a zero-width space', `${TEXT}\u200b`],
  ['a byte-order mark', `\ufeff${TEXT}`],
  ['two ids', `${TEXT}${TEXT}`],
  ['two ids on two lines', `${TEXT}\n${TEXT}`],
];

/** Values that are not strings at all, some of which stringify to valid UUID text. */
const nonStrings: [string, () => unknown][] = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['true', () => true],
  ['0', () => 0],
  ['-0', () => -0],
  ['NaN', () => Number.NaN],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['a bigint', () => 0x6f9619ffn],
  ['a symbol', () => Symbol(TEXT)],
  ['a registered symbol', () => Symbol.for(TEXT)],
  ['a function', () => () => TEXT],
  ['a class', () => class Id {}],
  ['a plain object', () => ({})],
  ['an object with toString() returning the text', () => ({ toString: () => TEXT })],
  ['an object with valueOf() returning the text', () => ({ valueOf: () => TEXT })],
  [
    'an object with Symbol.toPrimitive returning the text',
    () => ({ [Symbol.toPrimitive]: () => TEXT }),
  ],
  ['a String object of the text', () => new String(TEXT)],
  ['a null-prototype object', () => Object.create(null)],
  ['an array holding the text', () => [TEXT]],
  ['an array of the characters', () => [...TEXT]],
  ['a Date', () => new Date(0)],
  ['a RegExp', () => /6f9619ff/],
  ['a Map', () => new Map([[TEXT, TEXT]])],
  ['a Promise of the text', () => Promise.resolve(TEXT)],
  ['an Error', () => new Error(TEXT)],
  ['the 16 bytes', () => new Uint8Array(16)],
  ['a Buffer of the text', () => Buffer.from(TEXT)],
  ['a transparent Proxy of a String', () => new Proxy(new String(TEXT), {})],
];

/** Values that are not 16-byte Uint8Arrays, with what is wrong with them. */
const badByteInputs: [string, () => unknown][] = [
  ['no bytes', () => new Uint8Array(0)],
  ['15 bytes', () => new Uint8Array(15)],
  ['17 bytes', () => new Uint8Array(17)],
  ['32 bytes', () => new Uint8Array(32)],
  ['a 15-byte Buffer', () => Buffer.alloc(15)],
  ['a 17-byte Buffer', () => Buffer.alloc(17)],
  ['a plain array of 16 numbers', () => Array.from({ length: 16 }, () => 1)],
  ['an array-like with length 16', () => ({ length: 16 })],
  ['a Uint8ClampedArray of 16', () => new Uint8ClampedArray(16)],
  ['an Int8Array of 16', () => new Int8Array(16)],
  ['a Uint16Array of 16 elements', () => new Uint16Array(16)],
  ['a Uint16Array of 16 bytes', () => new Uint16Array(8)],
  ['a Uint32Array of 16 bytes', () => new Uint32Array(4)],
  ['a Float32Array of 16 bytes', () => new Float32Array(4)],
  ['a Float64Array of 16 bytes', () => new Float64Array(2)],
  ['a BigUint64Array of 16 bytes', () => new BigUint64Array(2)],
  ['a DataView of 16 bytes', () => new DataView(new ArrayBuffer(16))],
  ['an ArrayBuffer of 16 bytes', () => new ArrayBuffer(16)],
  ['a SharedArrayBuffer of 16 bytes', () => new SharedArrayBuffer(16)],
  [
    'a 16-byte Uint8Array whose buffer was detached',
    () => {
      const bytes = new Uint8Array(16);
      structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
      return bytes;
    },
  ],
  ['the UUID text', () => TEXT],
  ['undefined', () => undefined],
  ['null', () => null],
  ['a number', () => 16],
  ['a bigint', () => 16n],
  ['a symbol', () => Symbol('bytes')],
  ['a function', () => () => new Uint8Array(16)],
  ['a Promise of 16 bytes', () => Promise.resolve(new Uint8Array(16))],
];

/**
 * Objects that pass an `instanceof Uint8Array` check and claim a length of 16,
 * but are not 16 real bytes. Reading them element by element yields
 * `undefined`, so a codec that trusts `instanceof` and `length` builds an id
 * that is not UUID text at all.
 */
const forgedByteArrays: [string, () => unknown][] = [
  [
    'a plain object whose prototype is Uint8Array.prototype',
    () => Object.setPrototypeOf({ length: 16 }, Uint8Array.prototype),
  ],
  [
    'an empty Uint8Array subclass that reports a length of 16',
    () => {
      class Lying extends Uint8Array {
        override get length() {
          return 16;
        }
      }
      return new Lying(0);
    },
  ],
];

/** Canonical-looking strings that a cast could smuggle in as an id. */
const forgedIds: [string, () => unknown][] = [
  ['uppercase text', () => TEXT.toUpperCase()],
  ['mixed-case text', () => '6F9619ff-8b86-d011-b42d-00cf4fc964ff'],
  ['text without hyphens', () => TEXT.replaceAll('-', '')],
  ['text in braces', () => `{${TEXT}}`],
  ['text with a trailing newline', () => `${TEXT}\n`],
  ['a non-hex digit', () => TEXT.replace('6', 'g')],
  ['an empty string', () => ''],
  ['a String object', () => new String(TEXT)],
  ['an object with toString()', () => ({ toString: () => TEXT })],
  ['a number', () => 42],
  ['undefined', () => undefined],
  ['null', () => null],
  ['a symbol', () => Symbol(TEXT)],
];

const codecs: [string, UuidIdCodec<string>][] = [
  ['AgentId', AgentId],
  ['SessionId', SessionId],
  ['OrgId', OrgId],
];

describe.each(codecs)('%s, given bad input', (typeName, codec) => {
  const typed = `InvalidIdError(${typeName})`;

  describe('parse()', () => {
    it.each(malformedTexts)('rejects %s with a short message naming the type', (_label, text) => {
      expect(outcome(() => codec.parse(text))).toBe(typed);
      const error = thrownBy(() => codec.parse(text));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(
        new RegExp(`^Expected ${typeName} text to be a UUID \\(8-4-4-4-12 hex digits\\), got `),
      );
      expect(error.message.length).toBeLessThan(MAX_MESSAGE_CHARS);
    });

    it.each(nonStrings)('rejects %s without coercing it to text', (_label, make) => {
      const value = make();
      expect(outcome(() => codec.parse(value))).toBe(typed);
      expect(thrownBy(() => codec.parse(value)).message).toContain(describeValue(value));
    });

    it.each(hostileValues)('rejects %s with a typed error', (_label, make) => {
      const value = make();
      expect(outcome(() => codec.parse(value))).toBe(typed);
    });
  });

  describe('fromBytes()', () => {
    it.each(badByteInputs)('rejects %s', (_label, make) => {
      const bytes = make() as Uint8Array;
      expect(outcome(() => codec.fromBytes(bytes))).toBe(typed);
      expect(thrownBy(() => codec.fromBytes(bytes)).message).toMatch(
        new RegExp(`^Expected ${typeName} bytes to be a Uint8Array of length 16, got `),
      );
    });

    it.each(forgedByteArrays)('rejects %s rather than build a non-UUID id', (_label, make) => {
      const bytes = make() as Uint8Array;
      expect(outcome(() => codec.fromBytes(bytes))).toBe(typed);
    });

    it.each(hostileValues)('rejects %s with a typed error', (_label, make) => {
      const bytes = make() as Uint8Array;
      expect(outcome(() => codec.fromBytes(bytes))).toBe(typed);
    });

    // A Node Buffer is a Uint8Array subclass, and is what drivers hand back for
    // a bytea / BINARY(16) column, so a 16-byte Buffer is accepted, wherever
    // its bytes sit in the pooled ArrayBuffer behind it.
    it('accepts a 16-byte Buffer as the same id as the Uint8Array of its bytes', () => {
      const bytes = Uint8Array.from({ length: 16 }, (_, index) => index * 17);
      expect(codec.fromBytes(Buffer.from(bytes))).toBe(codec.fromBytes(bytes));
      const pooled = Buffer.concat([Buffer.from([0xee, 0xee, 0xee]), Buffer.from(bytes)]);
      expect(codec.fromBytes(pooled.subarray(3))).toBe(codec.fromBytes(bytes));
    });

    it('accepts a 16-byte view into a larger buffer, reading only its own bytes', () => {
      const backing = new Uint8Array(48).fill(0xff);
      backing.fill(0x01, 16, 32);
      expect(codec.fromBytes(backing.subarray(16, 32))).toBe(
        '01010101-0101-0101-0101-010101010101',
      );
    });

    it('accepts 16 bytes over a SharedArrayBuffer', () => {
      const bytes = new Uint8Array(new SharedArrayBuffer(16)).fill(0xab);
      expect(codec.fromBytes(bytes)).toBe('abababab-abab-abab-abab-abababababab');
    });
  });

  describe('toBytes()', () => {
    it.each(forgedIds)('rejects %s forged into an id by a cast', (_label, make) => {
      const id = make() as string;
      expect(outcome(() => codec.toBytes(id))).toBe(typed);
    });

    it.each(hostileValues)('rejects %s with a typed error', (_label, make) => {
      const id = make() as string;
      expect(outcome(() => codec.toBytes(id))).toBe(typed);
    });
  });

  describe('is()', () => {
    it.each([
      ...malformedTexts.map(([label, text]): [string, () => unknown] => [label, () => text]),
      ...nonStrings,
      ...forgedIds,
      ...hostileValues,
      ...forgedByteArrays,
    ])('answers false, without throwing, for %s', (_label, make) => {
      expect(codec.is(make())).toBe(false);
    });
  });

  describe('schema', () => {
    it.each([
      ...malformedTexts.map(([label, text]): [string, () => unknown] => [label, () => text]),
      ...nonStrings,
      ...hostileValues,
    ])('fails safeParse() for %s without throwing', (_label, make) => {
      const value = make();
      let result: { success: boolean } | undefined;
      expect(() => {
        result = codec.schema.safeParse(value);
      }).not.toThrow();
      expect(result?.success).toBe(false);
    });
  });
});

describe('describeValue()', () => {
  it.each([...nonStrings, ...badByteInputs, ...forgedByteArrays, ...hostileValues])(
    'describes %s in a short line without throwing',
    (_label, make) => {
      const value = make();
      let shown = '';
      expect(() => {
        shown = describeValue(value);
      }).not.toThrow();
      expect(shown.length).toBeGreaterThan(0);
      expect(shown.length).toBeLessThan(200);
    },
  );
});

const validRule = { action_pattern: 'tools.read.*', decision: 'Allow' };
const valid = { version: 7, name: 'default', rules: [validRule], enforcement_mode: 'enforce' };

/** An object nested `depth` levels deep: `{ a: { a: … {} } }`. */
function nestedObject(depth: number): object {
  let value: object = {};
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

/** An array nested `depth` levels deep: `[[…[]]]`. */
function nestedArray(depth: number): unknown[] {
  let value: unknown[] = [];
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

/** An array of `length` with a valid rule at each of `filled` and holes elsewhere. */
function sparse(length: number, filled: readonly number[]): unknown[] {
  const array: unknown[] = new Array(length);
  for (const index of filled) array[index] = validRule;
  return array;
}

function cyclicObject(): object {
  const value: { self?: unknown } = {};
  value.self = value;
  return value;
}

function withThrowingGetter(target: object, key: string): object {
  return Object.defineProperty({ ...target }, key, {
    enumerable: true,
    get() {
      throw new Error(`getter of ${key}`);
    },
  });
}

/** What a malformed document is, and which field the error should name. */
type BadDocument = [label: string, make: () => unknown, field: string];

const missingFields: BadDocument[] = (['version', 'name', 'rules'] as const).map((field) => [
  `no \`${field}\``,
  () => {
    const { [field]: _, ...rest } = valid;
    return rest;
  },
  `\`${field}\``,
]);

const mistypedFields: BadDocument[] = [
  ...(
    [
      ['a string', '7'],
      ['a fraction', 1.5],
      ['a negative number', -1],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['past u32', 2 ** 32],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['null', null],
      ['a boolean', true],
      ['a bigint', 7n],
      ['a symbol', Symbol('7')],
      ['an object', {}],
      ['an array', [7]],
      ['a Number object', new Number(7)],
      ['a Date', new Date(7)],
    ] as const
  ).map(
    ([label, value]): BadDocument => [
      `\`version\` as ${label}`,
      () => ({ ...valid, version: value }),
      '`version`',
    ],
  ),
  ...(
    [
      ['a number', 1],
      ['null', null],
      ['a bigint', 1n],
      ['a symbol', Symbol('name')],
      ['an array', ['default']],
      ['a String object', new String('default')],
      ['an object with toString()', { toString: () => 'default' }],
    ] as const
  ).map(
    ([label, value]): BadDocument => [
      `\`name\` as ${label}`,
      () => ({ ...valid, name: value }),
      '`name`',
    ],
  ),
  ...(
    [
      ['an object', {}],
      ['a string', 'tools.*'],
      ['null', null],
      ['a Set', new Set([validRule])],
      ['an array-like', { length: 1, 0: validRule }],
      ['a typed array', new Uint8Array(1)],
    ] as const
  ).map(
    ([label, value]): BadDocument => [
      `\`rules\` as ${label}`,
      () => ({ ...valid, rules: value }),
      '`rules`',
    ],
  ),
  ['a rule that is a string', () => ({ ...valid, rules: ['Allow'] }), '`rules[0]`'],
  ['a rule that is null', () => ({ ...valid, rules: [null] }), '`rules[0]`'],
  [
    'a rule given positionally with a bad decision',
    () => ({ ...valid, rules: [['tools.*', 'allow']] }),
    '`rules[0].decision`',
  ],
  [
    'a rule given positionally with 3 fields',
    () => ({ ...valid, rules: [['a', 'Deny', 1]] }),
    '`rules[0]`',
  ],
  [
    'a rule with a numeric pattern',
    () => ({ ...valid, rules: [{ ...validRule, action_pattern: 1 }] }),
    '`rules[0].action_pattern`',
  ],
  [
    'a rule with a bigint pattern',
    () => ({ ...valid, rules: [{ ...validRule, action_pattern: 1n }] }),
    '`rules[0].action_pattern`',
  ],
  [
    'a rule with an unknown decision',
    () => ({ ...valid, rules: [validRule, { ...validRule, decision: 'maybe' }] }),
    '`rules[1].decision`',
  ],
  [
    'a rule with an upper-case decision',
    () => ({ ...valid, rules: [{ ...validRule, decision: 'ALLOW' }] }),
    '`rules[0].decision`',
  ],
  [
    'a rule without a decision',
    () => ({ ...valid, rules: [{ action_pattern: 'tools.*' }] }),
    '`rules[0].decision`',
  ],
  [
    'an unknown enforcement mode',
    () => ({ ...valid, enforcement_mode: 'loud' }),
    '`enforcement_mode`',
  ],
  ['a null enforcement mode', () => ({ ...valid, enforcement_mode: null }), '`enforcement_mode`'],
  [
    'a symbol enforcement mode',
    () => ({ ...valid, enforcement_mode: Symbol('enforce') }),
    '`enforcement_mode`',
  ],
  [
    'an enforcement mode tagged with a value',
    () => ({ ...valid, enforcement_mode: { observe: 1 } }),
    '`enforcement_mode`',
  ],
  [
    'a decision tagged twice',
    () => ({ ...valid, rules: [{ ...validRule, decision: { Allow: null, Deny: null } }] }),
    '`rules[0].decision`',
  ],
];

/** Inputs upstream's reader accepts by ignoring what it does not know. */
const ignoredFields: [string, () => unknown][] = [
  ['an extra field', () => ({ ...valid, owner: 'mallory' })],
  ['an extra field holding undefined', () => ({ ...valid, owner: undefined })],
  [
    'a camelCase field beside the snake_case one',
    () => ({ ...valid, enforcementMode: 'disabled' }),
  ],
  ['an extra field in a rule', () => ({ ...valid, rules: [{ ...validRule, priority: 1 }] })],
  [
    'an extra field in the second rule',
    () => ({ ...valid, rules: [validRule, { ...validRule, x: 1 }] }),
  ],
  ['an extra field nested 10,000 levels deep', () => ({ ...valid, extra: nestedObject(10_000) })],
  ['a cyclic extra field', () => ({ ...valid, extra: cyclicObject() })],
  ['a document that contains itself', cyclicDocument],
  [
    'a cyclic rule',
    () => {
      const rule: typeof validRule & { self?: unknown } = { ...validRule };
      rule.self = rule;
      return { ...valid, rules: [rule] };
    },
  ],
  ['an extra field whose getter throws', () => withThrowingGetter(valid, 'extra')],
  [
    'a Proxy whose ownKeys trap throws (its keys are never listed)',
    () =>
      new Proxy(valid, {
        ownKeys() {
          throw new Error('ownKeys trap');
        },
      }),
  ],
];

const notDocuments: BadDocument[] = [
  ['undefined', () => undefined, '`(document)`'],
  ['null', () => null, '`(document)`'],
  ['a number', () => 7, '`(document)`'],
  ['a bigint', () => 7n, '`(document)`'],
  ['a symbol', () => Symbol('document'), '`(document)`'],
  ['a boolean', () => true, '`(document)`'],
  ['the document as JSON text', () => JSON.stringify(valid), '`(document)`'],
  ['an array holding the document', () => [valid], '`(document)`'],
  ['an empty array', () => [], '`(document)`'],
  ['a function', () => () => valid, '`(document)`'],
  ['a Promise of the document', () => Promise.resolve(valid), '`version`'],
  ['a Map of the fields', () => new Map(Object.entries(valid)), '`version`'],
  ['a Date', () => new Date(0), '`version`'],
  ['an object with toJSON() returning the document', () => ({ toJSON: () => valid }), '`version`'],
  ['an empty object', () => ({}), '`version`'],
];

const deepOrHuge: BadDocument[] = [
  [
    'a `name` nested 10,000 levels deep',
    () => ({ ...valid, name: nestedObject(10_000) }),
    '`name`',
  ],
  [
    '`rules` nested 10,000 arrays deep',
    () => ({ ...valid, rules: nestedArray(10_000) }),
    '`rules[0]`',
  ],
  [
    'a rule whose pattern is nested 10,000 levels deep',
    () => ({ ...valid, rules: [{ ...validRule, action_pattern: nestedObject(10_000) }] }),
    '`rules[0].action_pattern`',
  ],
  [
    'a 10,000-level document decoded from JSON text',
    () => JSON.parse(`${'{"a":'.repeat(10_000)}{}${'}'.repeat(10_000)}`),
    '`version`',
  ],
  [
    '1,000,000 rules of which the last is malformed, refused by count before any is read',
    () => ({
      ...valid,
      rules: [...Array.from({ length: 999_999 }, () => validRule), { ...validRule, decision: 0 }],
    }),
    '`rules`: expected at most 10000 rules, got 1000000',
  ],
  [
    '10,000 rules that are all malformed',
    () => ({ ...valid, rules: Array.from({ length: 10_000 }, () => ({ action_pattern: 1 })) }),
    'and 19997 more',
  ],
  [
    'a 10 MB string as the version',
    () => ({ ...valid, version: '7'.repeat(10_000_000) }),
    '`version`',
  ],
];

const hostileDocuments: BadDocument[] = [
  [
    'rules that contain themselves',
    () => {
      const rules: unknown[] = [];
      rules.push(rules);
      return { ...valid, rules };
    },
    '`rules[0]`',
  ],
  ['a name that is a cyclic object', () => ({ ...valid, name: cyclicObject() }), '`name`'],
  ['sparse rules with a hole first', () => ({ ...valid, rules: sparse(2, [1]) }), '`rules[0]`'],
  [
    'sparse rules with a hole in the middle',
    () => ({ ...valid, rules: sparse(3, [0, 2]) }),
    '`rules[1]`',
  ],
  ['rules that are all holes', () => ({ ...valid, rules: new Array(3) }), '`rules[0]`'],
];

/** Inputs whose reading throws: getters, Proxy traps, a revoked Proxy. */
const throwingDocuments: [string, () => unknown][] = [
  ['a document whose `version` getter throws', () => withThrowingGetter(valid, 'version')],
  ['a document whose `rules` getter throws', () => withThrowingGetter(valid, 'rules')],
  [
    'a rule whose `decision` getter throws',
    () => ({ ...valid, rules: [withThrowingGetter(validRule, 'decision')] }),
  ],
  [
    'a Proxy whose get trap throws',
    () =>
      new Proxy(valid, {
        get() {
          throw new Error('get trap');
        },
      }),
  ],
  [
    'a Proxy whose getOwnPropertyDescriptor trap throws',
    () =>
      new Proxy(valid, {
        getOwnPropertyDescriptor() {
          throw new Error('getOwnPropertyDescriptor trap');
        },
      }),
  ],
  [
    'a decision object whose ownKeys trap throws',
    () => ({
      ...valid,
      rules: [
        {
          ...validRule,
          decision: new Proxy(
            { Allow: null },
            {
              ownKeys() {
                throw new Error('ownKeys trap');
              },
            },
          ),
        },
      ],
    }),
  ],
  ['a revoked Proxy', revokedProxy],
  ['rules that are a revoked Proxy', () => ({ ...valid, rules: revokedProxy() })],
  ['a rule that is a revoked Proxy', () => ({ ...valid, rules: [revokedProxy()] })],
];

function cyclicDocument(): object {
  const document: typeof valid & { self?: unknown } = { ...valid };
  document.self = document;
  return document;
}

describe('parsePolicyDocument(), given bad input', () => {
  /** Parses once (the huge inputs are slow) and checks the error: typed, short, naming `field`. */
  function expectSerializationError(input: unknown, field: string): void {
    let thrown: unknown;
    const summary = outcome(() => {
      try {
        return parsePolicyDocument(input, 'agent x');
      } catch (error) {
        thrown = error;
        throw error;
      }
    });
    expect(summary).toBe('StorageError(Serialization)');
    const error = thrown as Error;
    expect(error.message).toMatch(/^Serialization: malformed policy document of agent x: /);
    expect(error.message).toContain(field);
    expect(error.message.length).toBeLessThan(MAX_MESSAGE_CHARS);
    expect(error.cause).toBeInstanceOf(Error);
  }

  it.each([...missingFields, ...mistypedFields, ...notDocuments, ...hostileDocuments])(
    'rejects %s with a short Serialization error naming it',
    (_label, make, field) => {
      expectSerializationError(make(), field);
    },
  );

  it.each(deepOrHuge)(
    'rejects %s with a short Serialization error naming it',
    { timeout: 60_000 },
    (_label, make, field) => {
      expectSerializationError(make(), field);
    },
  );

  it.each(ignoredFields)('accepts %s, keeping only the four known fields', (_label, make) => {
    const policy = parsePolicyDocument(make());
    expect(Object.keys(policy)).toEqual(['version', 'name', 'rules', 'enforcement_mode']);
    expect(JSON.stringify(policy)).toBe(
      JSON.stringify({ ...valid, rules: policy.rules.map(() => validRule) }),
    );
  });

  it.each(throwingDocuments)(
    'rejects %s with a Serialization error, not its own',
    (_label, make) => {
      expect(outcome(() => parsePolicyDocument(make()))).toBe('StorageError(Serialization)');
    },
  );

  it.each([
    ['an unknown 10 MB key', () => ({ ...valid, ['k'.repeat(10_000_000)]: 1 })],
    [
      '100,000 unknown keys',
      () => ({
        ...valid,
        ...Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])),
      }),
    ],
  ])('ignores %s without reading it', { timeout: 60_000 }, (_label, make) => {
    expect(JSON.stringify(parsePolicyDocument(make()))).toBe(JSON.stringify(valid));
  });

  it.each([
    ['an unknown 10 MB key in a decision', { ['k'.repeat(10_000_000)]: null }],
    [
      '100,000 keys in a decision',
      Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, null])),
    ],
  ])('keeps the message short for %s', { timeout: 60_000 }, (_label, decision) => {
    const error = thrownBy(() =>
      parsePolicyDocument({ ...valid, rules: [{ ...validRule, decision }] }),
    );
    expect(isStorageError(error, 'Serialization')).toBe(true);
    expect(error.message.length).toBeLessThan(MAX_MESSAGE_CHARS);
  });

  it('accepts a document at its size limits, and refuses one past them', () => {
    const { maxRules, maxTextLength } = POLICY_LIMITS;
    const atLimits = parsePolicyDocument({
      ...valid,
      name: 'n'.repeat(maxTextLength),
      rules: Array.from({ length: maxRules }, () => validRule),
    });
    expect(atLimits.rules).toHaveLength(maxRules);
    expectSerializationError({ ...valid, name: 'n'.repeat(10_000_000) }, '`name`');
    expectSerializationError(
      { ...valid, rules: Array.from({ length: 1_000_000 }, () => validRule) },
      '`rules`: expected at most 10000 rules, got 1000000',
    );
  });

  it('reads no array element a polluted Array.prototype supplies for a hole', () => {
    Object.defineProperty(Array.prototype, 0, {
      value: validRule,
      configurable: true,
      writable: true,
    });
    Object.defineProperty(Array.prototype, 1, {
      value: 'polluted-name',
      configurable: true,
      writable: true,
    });
    try {
      expect(
        thrownBy(() => parsePolicyDocument({ ...valid, rules: new Array(1) })).message,
      ).toContain('`rules[0]`');
      const positional: unknown[] = [7];
      positional[2] = []; // a hole at 1, where the name goes
      expect(thrownBy(() => parsePolicyDocument(positional)).message).toContain('`name`');
    } finally {
      delete (Array.prototype as unknown as Record<number, unknown>)[0];
      delete (Array.prototype as unknown as Record<number, unknown>)[1];
    }
  });

  it('reads the length of rules once, so a Proxy cannot slip past the limit', () => {
    let reads = 0;
    const rules = new Proxy([validRule], {
      get(target, key, receiver) {
        if (key === 'length') return reads++ === 0 ? 1 : 20_000;
        return Reflect.get(target, key, receiver);
      },
    });
    expect(parsePolicyDocument({ ...valid, rules }).rules).toHaveLength(1);
  });

  it('ignores symbol-keyed properties and drops them from the result', () => {
    const tag = Symbol('tag');
    const policy = parsePolicyDocument({ ...valid, [tag]: 'x' });
    expect(Object.getOwnPropertySymbols(policy)).toEqual([]);
  });

  describe('prototype pollution', () => {
    const pollutionKeys = ['__proto__', 'constructor', 'prototype'] as const;
    const payload = () => ({
      polluted: 'yes',
      toString: 'polluted',
      prototype: { polluted: 'yes' },
    });

    /** Builds `target` with `key` as an own enumerable property, as JSON.parse would. */
    const withOwnKey = (target: object, key: string): object =>
      Object.defineProperty({ ...target }, key, {
        value: payload(),
        enumerable: true,
        writable: true,
        configurable: true,
      });

    /** Where the key goes. */
    const places: [string, (key: string) => unknown][] = [
      ['the document', (key) => withOwnKey(valid, key)],
      ['a rule', (key) => ({ ...valid, rules: [withOwnKey(validRule, key)] })],
      ['the second rule', (key) => ({ ...valid, rules: [validRule, withOwnKey(validRule, key)] })],
      ['a value nested in an extra field', (key) => ({ ...valid, extra: withOwnKey({}, key) })],
      [
        'JSON text decoded with JSON.parse',
        (key) =>
          JSON.parse(
            `{"version":7,"name":"default","rules":[{"action_pattern":"tools.read.*","decision":"Allow","${key}":{"polluted":"yes"}}],"${key}":{"polluted":"yes"}}`,
          ),
      ],
    ];

    const cases = places.flatMap(([place, build]) =>
      pollutionKeys.map((key): [string, string, () => unknown] => [key, place, () => build(key)]),
    );

    it.each(cases)('ignores a `%s` key in %s and pollutes nothing', (_key, _place, make) => {
      const policy = parsePolicyDocument(make());
      expect(Object.getPrototypeOf(policy)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(policy.rules[0])).toBe(Object.prototype);
      expect(JSON.stringify(policy)).toBe(
        JSON.stringify({ ...valid, rules: policy.rules.map(() => validRule) }),
      );
      expectNoPollution();
    });

    it('reads no field a prototype supplies: a literal `__proto__` holding the document is empty', () => {
      // `{ __proto__: x }` in an object literal sets the prototype rather than
      // adding a key; JSON.parse never does this. Only own fields are read, so
      // a polluted Object.prototype cannot supply a field either.
      const error = thrownBy(() => parsePolicyDocument({ __proto__: { ...valid } }));
      expect(isStorageError(error, 'Serialization')).toBe(true);
      expect(error.message).toContain('`version`: missing field');
      expectNoPollution();
    });

    it('reads no field from a polluted Object.prototype', () => {
      const { enforcement_mode: _, ...withoutMode } = valid;
      Object.defineProperty(Object.prototype, 'enforcement_mode', {
        value: 'disabled',
        configurable: true,
      });
      try {
        expect(parsePolicyDocument(withoutMode).enforcement_mode).toBe('enforce');
      } finally {
        delete (Object.prototype as { enforcement_mode?: unknown }).enforcement_mode;
      }
    });

    function expectNoPollution(): void {
      for (const shared of [Object.prototype, Array.prototype, Function.prototype]) {
        expect(Object.hasOwn(shared, 'polluted')).toBe(false);
      }
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      expect(String({})).toBe('[object Object]');
    }
  });
});
