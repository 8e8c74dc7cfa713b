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

/** The zod schema of a {@link PolicyRule}; unknown fields are rejected. */
export const policyRuleSchema = z.strictObject({
  actionPattern: z.string(),
  decision: z.enum(['allow', 'deny', 'require_approval']),
});

/**
 * The zod schema of a {@link PolicyDocument}. `enforcementMode` defaults to
 * `'enforce'` when absent; unknown fields are rejected, so a typo in a stored
 * document surfaces instead of silently dropping a setting.
 */
export const policyDocumentSchema = z.strictObject({
  version: z.int().min(0).max(MAX_U32),
  name: z.string(),
  rules: z.array(policyRuleSchema),
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
  const result = policyDocumentSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues;
    const listed = issues
      .slice(0, MAX_REPORTED_ISSUES)
      .map((issue) => `\`${formatPath(issue.path)}\`: ${issue.message}`);
    if (issues.length > MAX_REPORTED_ISSUES) {
      listed.push(`and ${issues.length - MAX_REPORTED_ISSUES} more`);
    }
    const owner = subject === undefined ? '' : ` of ${subject}`;
    throw StorageError.serialization(`malformed policy document${owner}: ${listed.join('; ')}`, {
      cause: result.error,
    });
  }
  const { version, name, rules, enforcementMode } = result.data;
  return Object.freeze({
    version,
    name,
    rules: Object.freeze(rules.map((rule) => Object.freeze(rule))),
    enforcementMode,
  });
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
