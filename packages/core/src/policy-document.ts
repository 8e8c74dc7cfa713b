import { z } from 'zod';
import { StorageError } from './storage-error.js';

/** What a rule decides for a matching action. */
export type PolicyDecision = 'allow' | 'deny' | 'require_approval';

/** How a policy is applied: enforced, only observed (logged), or switched off. */
export type EnforcementMode = 'enforce' | 'observe' | 'disabled';

/** One rule of a policy: actions matching `actionPattern` get `decision`. */
export interface PolicyRule {
  readonly actionPattern: string;
  readonly decision: PolicyDecision;
}

/**
 * An agent's effective policy. Cached documents are shared by every caller, so
 * the type is readonly and {@link parsePolicyDocument} returns a frozen object.
 */
export interface PolicyDocument {
  /** Monotonic version, an unsigned 32-bit integer. */
  readonly version: number;
  readonly name: string;
  readonly rules: readonly PolicyRule[];
  readonly enforcementMode: EnforcementMode;
}

const MAX_U32 = 0xffff_ffff;
const MAX_REPORTED_ISSUES = 3;
const MAX_ISSUE_CHARS = 200;

/**
 * Size limits of a {@link PolicyDocument}. A policy is read on every tool call
 * and held in every instance's cache, so a document beyond these is refused as
 * malformed rather than parsed, cached and matched against.
 */
export const POLICY_LIMITS = Object.freeze({
  /** The most rules one document may hold. */
  maxRules: 10_000,
  /** The longest `name` or `actionPattern`, in UTF-16 code units. */
  maxTextLength: 4_096,
});

/** The zod schema of a {@link PolicyRule}; unknown fields are rejected. */
export const policyRuleSchema = z.strictObject({
  actionPattern: z.string().max(POLICY_LIMITS.maxTextLength),
  decision: z.enum(['allow', 'deny', 'require_approval']),
});

/**
 * The zod schema of a {@link PolicyDocument}. `enforcementMode` defaults to
 * `'enforce'` when absent; unknown fields are rejected, so a typo in a stored
 * document surfaces instead of silently dropping a setting.
 */
export const policyDocumentSchema = z.strictObject({
  version: z.int().min(0).max(MAX_U32),
  name: z.string().max(POLICY_LIMITS.maxTextLength),
  rules: z.array(policyRuleSchema).max(POLICY_LIMITS.maxRules),
  enforcementMode: z.enum(['enforce', 'observe', 'disabled']).default('enforce'),
});

/**
 * Decodes unknown input (a JSON body read from a backend) into a frozen
 * {@link PolicyDocument}.
 *
 * @param input - the decoded JSON value to check.
 * @param subject - what the document belongs to, for the error message (for
 *   example the agent id).
 * @throws {StorageError} of kind `Serialization` naming each wrong field, with the
 *   zod error as `cause`.
 *
 * @example
 * const policy = parsePolicyDocument(row.body, `agent ${agentId}`);
 */
export function parsePolicyDocument(input: unknown, subject?: string): PolicyDocument {
  const owner = subject === undefined ? '' : ` of ${subject}`;
  const malformed = (detail: string, cause: unknown) =>
    StorageError.serialization(`malformed policy document${owner}: ${detail}`, { cause });
  const ruleCount = countRules(input);
  if (ruleCount > POLICY_LIMITS.maxRules) {
    // Refused before zod walks a million rules only to report three of them.
    const detail = `\`rules\`: expected at most ${POLICY_LIMITS.maxRules} rules, got ${ruleCount}`;
    throw malformed(detail, new RangeError(detail));
  }
  let result: ReturnType<typeof policyDocumentSchema.safeParse>;
  try {
    result = policyDocumentSchema.safeParse(input);
  } catch (error) {
    // A getter or Proxy trap that throws, or a revoked Proxy: unreadable input
    // is malformed input, not a crash.
    throw malformed('it could not be read', error);
  }
  if (!result.success) {
    const issues = result.error.issues;
    const listed = issues
      .slice(0, MAX_REPORTED_ISSUES)
      .map((issue) => clip(`\`${formatPath(issue.path)}\`: ${issue.message}`));
    if (issues.length > MAX_REPORTED_ISSUES) {
      listed.push(`and ${issues.length - MAX_REPORTED_ISSUES} more`);
    }
    throw malformed(listed.join('; '), result.error);
  }
  const { version, name, rules, enforcementMode } = result.data;
  return Object.freeze({
    version,
    name,
    rules: Object.freeze(rules.map((rule) => Object.freeze(rule))),
    enforcementMode,
  });
}

/** How many rules `input.rules` holds, if it is an array that can be read; else 0, left to the schema. */
function countRules(input: unknown): number {
  try {
    const rules =
      typeof input === 'object' && input !== null
        ? (input as { rules?: unknown }).rules
        : undefined;
    return Array.isArray(rules) ? rules.length : 0;
  } catch {
    return 0;
  }
}

/** Keeps one issue's text log-sized, whatever the input (a 10 MB unknown key, say). */
function clip(text: string): string {
  return text.length > MAX_ISSUE_CHARS ? `${text.slice(0, MAX_ISSUE_CHARS)}…` : text;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(document)';
  let text = '';
  for (const segment of path) {
    text +=
      typeof segment === 'number' ? `[${segment}]` : `${text === '' ? '' : '.'}${String(segment)}`;
  }
  return text;
}
