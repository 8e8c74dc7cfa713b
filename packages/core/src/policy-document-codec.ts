import { describeValue } from './describe-value.js';
import {
  ENFORCEMENT_MODES,
  type EnforcementMode,
  POLICY_DECISIONS,
  POLICY_LIMITS,
  type PolicyDecision,
  type PolicyDocument,
  type PolicyRule,
} from './policy-document.js';
import { StorageError } from './storage-error.js';

const MAX_U32 = 0xffff_ffff;
const MAX_REPORTED_ISSUES = 3;
const MAX_ISSUE_CHARS = 200;
const DOCUMENT_FIELDS = ['version', 'name', 'rules', 'enforcement_mode'] as const;
const RULE_FIELDS = ['action_pattern', 'decision'] as const;

/**
 * Decodes a policy document read from the wire (a JSON body, already through
 * `JSON.parse` or a driver's JSONB decoding) into a deeply frozen
 * {@link PolicyDocument}. It accepts exactly what upstream's reader (serde_json
 * with derived `Deserialize`) accepts and rejects what it rejects:
 *
 * - `version` is required: an integer from 0 to 4294967295;
 * - `name` is required: a string;
 * - `rules` is required (no default) and may be empty; each rule needs
 *   `action_pattern` (a string) and `decision` (`"Allow"`, `"Deny"` or
 *   `"RequireApproval"`, exactly);
 * - `enforcement_mode` is optional: `"enforce"`, `"observe"` or `"disabled"`;
 *   absent means `"enforce"`; `null` is an error;
 * - any other field is ignored, at the top level and inside a rule, and is not
 *   kept in the result;
 * - like serde, a document or rule may also be given positionally, as an array
 *   of its fields in declaration order (`[version, name, rules, mode?]`,
 *   `[action_pattern, decision]`; too few or too many elements is an error),
 *   and a decision or mode as an object tagging it (`{"Allow": null}`).
 *   The result is always in the canonical form.
 *
 * Only own properties are read, so a field inherited from a (polluted)
 * prototype is as absent as it is in JSON. Strings must be well-formed UTF-16:
 * serde's JSON reader refuses a lone surrogate, and such a string could not be
 * written back as JSON upstream can read.
 *
 * Differences from upstream, all deliberate or forced by the input being a
 * decoded value rather than text:
 * - the size limits of {@link POLICY_LIMITS} (upstream has none);
 * - a number that `JSON.parse` made an integer (`3.0`, `1e2`) is accepted, where
 *   serde refuses a float for a `u32`; `-0` is refused, as serde does;
 * - duplicate keys were already resolved by the decoder (last wins, as in JSONB).
 *
 * @param input - the decoded JSON value to check.
 * @param subject - what the document belongs to, for the error message (for
 *   example the agent id).
 * @throws {StorageError} of kind `Serialization` naming the wrong fields (at
 *   most three, then how many more), with a `TypeError` or `RangeError`
 *   as `cause`. Never anything else, whatever the input (throwing getters,
 *   revoked proxies and cycles included).
 *
 * @example
 * const policy = parsePolicyDocument(row.body, `agent ${agentId}`);
 * policy.rules[0]?.decision; // 'Allow'
 */
export function parsePolicyDocument(input: unknown, subject?: string): PolicyDocument {
  const issues = new Issues();
  let document: PolicyDocument | undefined;
  try {
    document = readDocument(input, issues);
  } catch (error) {
    // A getter or Proxy trap that throws, or a revoked Proxy: unreadable input
    // is malformed input, not a crash.
    const owner = subject === undefined ? '' : ` of ${subject}`;
    throw StorageError.serialization(`malformed policy document${owner}: it could not be read`, {
      cause: error,
    });
  }
  if (document === undefined) {
    const owner = subject === undefined ? '' : ` of ${subject}`;
    const detail = issues.summary();
    throw StorageError.serialization(`malformed policy document${owner}: ${detail}`, {
      cause: issues.tooLarge ? new RangeError(detail) : new TypeError(detail),
    });
  }
  return document;
}

/**
 * {@link parsePolicyDocument} of JSON text, as a store reads it (a JSONB
 * column's text, a Redis value): text that is not JSON is malformed too.
 *
 * @throws {StorageError} of kind `Serialization`, as {@link parsePolicyDocument},
 *   or naming the JSON syntax error.
 *
 * @example
 * const policy = parsePolicyDocumentText(await redis.get(key), `L2 key ${key}`);
 */
export function parsePolicyDocumentText(text: string, subject?: string): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const owner = subject === undefined ? '' : ` of ${subject}`;
    throw StorageError.serialization(`malformed policy document${owner}: it is not JSON`, {
      cause: error,
    });
  }
  return parsePolicyDocument(value, subject);
}

/**
 * The plain JSON object upstream's writer produces for `document`: all four
 * fields in upstream's order (`version`, `name`, `rules`, `enforcement_mode`),
 * each rule as `{ action_pattern, decision }`, nothing else. It is a new,
 * unfrozen object that shares nothing with `document`; `JSON.stringify` it to
 * store it. For every canonical upstream document `x`,
 * `encodePolicyDocument(parsePolicyDocument(x))` deep-equals `x`, and for every
 * document `d`, `parsePolicyDocument(encodePolicyDocument(d))` equals `d`.
 *
 * @throws {TypeError} "Expected `document` to be a valid policy document (…),
 *   got …" when `document` is not one (a value built by hand, or by a cast),
 *   so that nothing upstream cannot read is ever written.
 *
 * @example
 * await pool.query('INSERT INTO policies (agent_id, policy_version, body) VALUES ($1, $2, $3)', [
 *   agentId, 1, JSON.stringify(encodePolicyDocument(policy)),
 * ]);
 */
export function encodePolicyDocument(document: PolicyDocument): {
  version: number;
  name: string;
  rules: { action_pattern: string; decision: PolicyDecision }[];
  enforcement_mode: EnforcementMode;
} {
  let valid: PolicyDocument;
  try {
    valid = parsePolicyDocument(document);
  } catch (error) {
    const detail = (error as StorageError).detail.replace(/^malformed policy document: /, '');
    throw new TypeError(
      `Expected \`document\` to be a valid policy document (${detail}), got ${describeValue(document)}`,
      { cause: error },
    );
  }
  return {
    version: valid.version,
    name: valid.name,
    rules: valid.rules.map((rule) => ({
      action_pattern: rule.action_pattern,
      decision: rule.decision,
    })),
    enforcement_mode: valid.enforcement_mode,
  };
}

/** The problems found in one input, of which the first few are reported. */
class Issues {
  readonly #listed: string[] = [];
  #count = 0;
  /** Whether a size limit was exceeded (the error's cause is then a `RangeError`). */
  tooLarge = false;

  add(path: string, message: string): void {
    this.#count++;
    if (this.#listed.length < MAX_REPORTED_ISSUES)
      this.#listed.push(clip(`\`${path}\`: ${message}`));
  }

  get count(): number {
    return this.#count;
  }

  summary(): string {
    const more = this.#count - this.#listed.length;
    return more > 0 ? `${this.#listed.join('; ')}; and ${more} more` : this.#listed.join('; ');
  }
}

type Fields<Names extends readonly string[]> = { [Name in Names[number]]: unknown };

/**
 * The named fields of a struct given as an object (own properties only) or,
 * as serde allows, as an array of them in declaration order; `undefined`
 * (with the issue recorded) when it is neither, or an array of the wrong length.
 */
function readFields<Names extends readonly string[]>(
  input: unknown,
  names: Names,
  required: number,
  path: string,
  what: string,
  issues: Issues,
): Fields<Names> | undefined {
  // No prototype: an assignment must not meet a (polluted) inherited setter.
  const fields: Record<string, unknown> = Object.create(null);
  if (Array.isArray(input)) {
    const length = input.length;
    if (length < required || length > names.length) {
      const expected = required === names.length ? `${required}` : `${required} to ${names.length}`;
      issues.add(path, `expected ${what} as an array of ${expected} fields, got ${length}`);
      return undefined;
    }
    names.forEach((name, index) => {
      fields[name] = index < length ? ownElement(input, index) : undefined;
    });
    return fields as Fields<Names>;
  }
  if (typeof input !== 'object' || input === null) {
    issues.add(path, `expected ${what} (an object), got ${describeValue(input)}`);
    return undefined;
  }
  for (const name of names) {
    fields[name] = Object.hasOwn(input, name)
      ? (input as Record<string, unknown>)[name]
      : undefined;
  }
  return fields as Fields<Names>;
}

function readDocument(input: unknown, issues: Issues): PolicyDocument | undefined {
  const fields = readFields(input, DOCUMENT_FIELDS, 3, '(document)', 'a policy document', issues);
  if (fields === undefined) return undefined;
  const version = readVersion(fields.version, issues);
  const name = readText(fields.name, 'name', issues);
  const rules = readRules(fields.rules, issues);
  const mode =
    fields.enforcement_mode === undefined
      ? 'enforce'
      : readMember(fields.enforcement_mode, ENFORCEMENT_MODES, 'enforcement_mode', issues);
  if (issues.count > 0) return undefined;
  return Object.freeze({
    version: version as number,
    name: name as string,
    rules: rules as readonly PolicyRule[],
    enforcement_mode: mode as EnforcementMode,
  });
}

function readVersion(value: unknown, issues: Issues): number | undefined {
  if (value === undefined) return missing('version', issues);
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    Object.is(value, -0) ||
    value < 0 ||
    value > MAX_U32
  ) {
    issues.add('version', `expected an integer from 0 to ${MAX_U32}, got ${describeValue(value)}`);
    return undefined;
  }
  return value;
}

function readText(value: unknown, path: string, issues: Issues): string | undefined {
  if (value === undefined) return missing(path, issues);
  if (typeof value !== 'string') {
    issues.add(path, `expected a string, got ${describeValue(value)}`);
    return undefined;
  }
  if (value.length > POLICY_LIMITS.maxTextLength) {
    issues.tooLarge = true;
    issues.add(
      path,
      `expected at most ${POLICY_LIMITS.maxTextLength} characters, got ${value.length}`,
    );
    return undefined;
  }
  if (!isWellFormed(value)) {
    issues.add(path, 'expected well-formed text, got a lone surrogate');
    return undefined;
  }
  return value;
}

function readMember<T extends string>(
  value: unknown,
  members: readonly T[],
  path: string,
  issues: Issues,
): T | undefined {
  if (value === undefined) return missing(path, issues);
  const name = variantName(value);
  if (name === undefined || !(members as readonly string[]).includes(name)) {
    const expected = members.map((member) => `"${member}"`).join(', ');
    issues.add(path, `expected one of ${expected}, got ${describeValue(value)}`);
    return undefined;
  }
  return name as T;
}

/**
 * The variant a unit enum value names, as serde reads one: the variant's name
 * as a string, or an object whose one own key is the name and whose value is
 * `null` (`{"Allow": null}`, serde's externally tagged form).
 */
function variantName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const only = keys[0];
  if (keys.length !== 1 || only === undefined) return undefined;
  return (value as Record<string, unknown>)[only] === null ? only : undefined;
}

function readRules(value: unknown, issues: Issues): readonly PolicyRule[] | undefined {
  if (value === undefined) return missing('rules', issues);
  if (!Array.isArray(value)) {
    issues.add('rules', `expected an array, got ${describeValue(value)}`);
    return undefined;
  }
  // Read once: a Proxy may answer differently each time.
  const length = value.length;
  // Refused before a million rules are walked only to report three of them.
  if (length > POLICY_LIMITS.maxRules) {
    issues.tooLarge = true;
    issues.add('rules', `expected at most ${POLICY_LIMITS.maxRules} rules, got ${length}`);
    return undefined;
  }
  const rules: PolicyRule[] = [];
  for (let index = 0; index < length; index++) {
    const path = `rules[${index}]`;
    const fields = readFields(ownElement(value, index), RULE_FIELDS, 2, path, 'a rule', issues);
    if (fields === undefined) continue;
    const pattern = readText(fields.action_pattern, `${path}.action_pattern`, issues);
    const decision = readMember(fields.decision, POLICY_DECISIONS, `${path}.decision`, issues);
    if (pattern !== undefined && decision !== undefined) {
      rules.push(Object.freeze({ action_pattern: pattern, decision }));
    }
  }
  return Object.freeze(rules);
}

// String.prototype.isWellFormed (Node 20+), which TypeScript's ES2023 lib does not declare yet.
const isWellFormed = (text: string): boolean =>
  (text as string & { isWellFormed(): boolean }).isWellFormed();

/** Element `index` of `array` if it is its own: a hole is absent, whatever Array.prototype holds. */
function ownElement(array: readonly unknown[], index: number): unknown {
  return Object.hasOwn(array, index) ? array[index] : undefined;
}

function missing(path: string, issues: Issues): undefined {
  issues.add(path, 'missing field');
  return undefined;
}

/** Keeps one issue's text log-sized, whatever the input. */
function clip(text: string): string {
  return text.length > MAX_ISSUE_CHARS ? `${text.slice(0, MAX_ISSUE_CHARS)}…` : text;
}
