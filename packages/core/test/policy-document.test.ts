import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  encodePolicyDocument,
  isStorageError,
  type PolicyDocument,
  parsePolicyDocument,
  parsePolicyDocumentText,
} from '../src/index.js';

/** The document of upstream-interop.md section 1, as upstream writes it. */
const UPSTREAM_EXAMPLE =
  '{"version":3,"name":"acme-default","rules":[{"action_pattern":"fs.read:*","decision":"Allow"},{"action_pattern":"shell.exec:*","decision":"RequireApproval"}],"enforcement_mode":"observe"}';

interface SerdeVerdict {
  readonly label: string;
  readonly accepted: boolean;
  /** What serde_json writes back for an accepted case. */
  readonly written?: string;
  readonly error?: string;
}

// Each case's JSON text and upstream's verdict on it, produced by the Rust
// oracle in test/serde-oracle (upstream's own derives, serde_json from_value).
const cases: { label: string; json: string }[] = JSON.parse(
  readFileSync(new URL('fixtures/policy-cases.json', import.meta.url), 'utf8'),
);
const verdicts: SerdeVerdict[] = JSON.parse(
  readFileSync(new URL('fixtures/policy-serde-verdicts.json', import.meta.url), 'utf8'),
);

/**
 * Cases where a decoded JavaScript value cannot carry what upstream's reader
 * judged: `JSON.parse` turns `3.0` and `1e2` into integers, and the lone
 * surrogate is refused by serde's text reader before any field is read (ours
 * refuses the decoded string instead, so the verdict is the same).
 */
const LOST_IN_DECODING: ReadonlyMap<string, boolean> = new Map([
  ['version 3.0', true],
  ['version 1e2', true],
]);

function parseError(input: unknown, subject?: string) {
  try {
    parsePolicyDocument(input, subject);
  } catch (error) {
    if (isStorageError(error, 'Serialization')) return error;
    throw error;
  }
  throw new Error('expected a Serialization error');
}

describe('parsePolicyDocument()', () => {
  it('has an upstream verdict for every case', () => {
    expect(verdicts.map((verdict) => verdict.label)).toEqual(cases.map((c) => c.label));
  });

  describe.each(cases.map((c, index) => [c.label, c.json, verdicts[index] as SerdeVerdict]))(
    'given %s',
    (label, json, verdict) => {
      const accepted = LOST_IN_DECODING.get(label) ?? verdict.accepted;
      if (accepted) {
        it('accepts it, as upstream does, and reads what upstream reads', () => {
          const policy = parsePolicyDocument(JSON.parse(json));
          if (verdict.written !== undefined) {
            expect(JSON.stringify(policy)).toBe(verdict.written);
            expect(JSON.stringify(encodePolicyDocument(policy))).toBe(verdict.written);
          }
        });
      } else {
        it(`rejects it, as upstream does (${verdict.error})`, () => {
          const error = parseError(JSON.parse(json), 'agent 1');
          expect(error.code).toBe('AA_STORAGE_SERIALIZATION');
          expect(error.detail).toMatch(/^malformed policy document of agent 1: `[^`]+`/);
          expect(error.cause).toBeInstanceOf(Error);
        });
      }
    },
  );

  it.each([
    ['a missing version', '{"name":"n","rules":[]}', '`version`: missing field'],
    ['a fractional version', '{"version":1.5,"name":"n","rules":[]}', '`version`'],
    ['a missing name', '{"version":1,"rules":[]}', '`name`: missing field'],
    ['missing rules', '{"version":1,"name":"n"}', '`rules`: missing field'],
    [
      'a rule without a pattern',
      '{"version":1,"name":"n","rules":[{"decision":"Deny"}]}',
      '`rules[0].action_pattern`: missing field',
    ],
    [
      'a lower-case decision in the second rule',
      '{"version":1,"name":"n","rules":[{"action_pattern":"a","decision":"Deny"},{"action_pattern":"b","decision":"deny"}]}',
      '`rules[1].decision`: expected one of "Allow", "Deny", "RequireApproval"',
    ],
    [
      'a null enforcement mode',
      '{"version":1,"name":"n","rules":[],"enforcement_mode":null}',
      '`enforcement_mode`',
    ],
    ['null', 'null', '`(document)`'],
  ])('names the field when given %s', (_label, json, field) => {
    expect(parseError(JSON.parse(json)).detail).toContain(field);
  });

  it('reads upstream’s example into its wire shape, deeply frozen', () => {
    const policy = parsePolicyDocument(JSON.parse(UPSTREAM_EXAMPLE));
    expect(policy).toEqual({
      version: 3,
      name: 'acme-default',
      rules: [
        { action_pattern: 'fs.read:*', decision: 'Allow' },
        { action_pattern: 'shell.exec:*', decision: 'RequireApproval' },
      ],
      enforcement_mode: 'observe',
    });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules)).toBe(true);
    expect(Object.isFrozen(policy.rules[0])).toBe(true);
  });

  it('shares nothing with its input', () => {
    const input = JSON.parse(UPSTREAM_EXAMPLE);
    const policy = parsePolicyDocument(input);
    input.rules[0].action_pattern = 'changed';
    input.rules.push({ action_pattern: 'x', decision: 'Deny' });
    expect(policy.rules).toHaveLength(2);
    expect(policy.rules[0]?.action_pattern).toBe('fs.read:*');
  });

  it('refuses -0 as a version, as serde does', () => {
    expect(parseError({ version: -0, name: 'n', rules: [] }).detail).toContain('`version`');
  });

  it('names the subject the document belongs to', () => {
    expect(parseError({}, 'agent 42').detail).toMatch(/^malformed policy document of agent 42: /);
  });

  it('lists at most three issues and counts the rest', () => {
    const detail = parseError({ rules: [{}, {}] }).detail;
    expect(detail).toMatch(/; and 3 more$/);
  });
});

describe('parsePolicyDocumentText()', () => {
  it('reads JSON text as parsePolicyDocument reads its value', () => {
    expect(parsePolicyDocumentText(UPSTREAM_EXAMPLE)).toEqual(
      parsePolicyDocument(JSON.parse(UPSTREAM_EXAMPLE)),
    );
  });

  it('refuses text that is not JSON with a Serialization error naming the subject', () => {
    const error = (() => {
      try {
        parsePolicyDocumentText('{"version":', 'L2 key k');
      } catch (caught) {
        return caught;
      }
    })();
    expect(isStorageError(error, 'Serialization')).toBe(true);
    expect((error as Error).message).toBe(
      'Serialization: malformed policy document of L2 key k: it is not JSON',
    );
  });
});

describe('encodePolicyDocument()', () => {
  const policy = parsePolicyDocument(JSON.parse(UPSTREAM_EXAMPLE));

  it('writes exactly what upstream writes, byte for byte once stringified', () => {
    expect(JSON.stringify(encodePolicyDocument(policy))).toBe(UPSTREAM_EXAMPLE);
  });

  it('writes all four fields, in upstream’s order, even the default mode', () => {
    const defaulted = parsePolicyDocument({ name: 'n', rules: [], version: 1 });
    expect(Object.keys(encodePolicyDocument(defaulted))).toEqual([
      'version',
      'name',
      'rules',
      'enforcement_mode',
    ]);
    expect(encodePolicyDocument(defaulted).enforcement_mode).toBe('enforce');
  });

  it('returns a new plain object that parses back to an equal document', () => {
    const encoded = encodePolicyDocument(policy);
    expect(Object.isFrozen(encoded)).toBe(false);
    expect(encoded.rules).not.toBe(policy.rules);
    expect(parsePolicyDocument(encoded)).toEqual(policy);
  });

  it('drops fields a document built by hand carries beyond the four', () => {
    const extended = { ...policy, owner: 'x', rules: [{ ...policy.rules[0], why: 'y' }] };
    expect(encodePolicyDocument(extended as PolicyDocument)).toEqual({
      version: 3,
      name: 'acme-default',
      rules: [{ action_pattern: 'fs.read:*', decision: 'Allow' }],
      enforcement_mode: 'observe',
    });
  });

  it('reads a camelCase mode as upstream does: ignored, so the mode defaults', () => {
    const camel = { version: 1, name: 'n', rules: [], enforcementMode: 'observe' };
    expect(encodePolicyDocument(camel as unknown as PolicyDocument)).toEqual({
      version: 1,
      name: 'n',
      rules: [],
      enforcement_mode: 'enforce',
    });
  });

  it.each([
    ['a lower-case decision', { ...policy, rules: [{ action_pattern: 'a', decision: 'allow' }] }],
    ['a version past u32', { ...policy, version: 2 ** 32 }],
    ['null', null],
  ])('refuses %s with a TypeError naming what is wrong', (_label, bad) => {
    const write = () => encodePolicyDocument(bad as unknown as PolicyDocument);
    expect(write).toThrow(TypeError);
    expect(write).toThrow(/^Expected `document` to be a valid policy document \(`/);
  });
});
