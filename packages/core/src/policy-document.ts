/**
 * What a rule decides for a matching action, spelt as upstream's serde writes
 * the Rust enum (PascalCase: the enum has no `rename`).
 */
export type PolicyDecision = 'Allow' | 'Deny' | 'RequireApproval';

/**
 * How a policy is applied: enforced, only observed (decisions computed and
 * audited, nothing blocked), or switched off. snake_case, as upstream writes it.
 */
export type EnforcementMode = 'enforce' | 'observe' | 'disabled';

/** Every {@link PolicyDecision}, in upstream's declaration order. */
export const POLICY_DECISIONS: readonly PolicyDecision[] = Object.freeze([
  'Allow',
  'Deny',
  'RequireApproval',
]);

/** Every {@link EnforcementMode}, in upstream's declaration order. */
export const ENFORCEMENT_MODES: readonly EnforcementMode[] = Object.freeze([
  'enforce',
  'observe',
  'disabled',
]);

/** One rule of a policy: actions matching `action_pattern` get `decision`. */
export interface PolicyRule {
  /** A glob-style pattern matched against the action name or path. */
  readonly action_pattern: string;
  /** What a matching action gets. */
  readonly decision: PolicyDecision;
}

/**
 * An agent's effective policy, in upstream's wire shape: the field names and
 * values are exactly those of the JSON that Agent Assembly's Rust services
 * write to `policies.body` (serde, no renames), so there is one format for a
 * document, in memory and on the wire, and `JSON.stringify` of a parsed
 * document is the canonical upstream JSON. Cached documents are shared by every
 * caller, so the type is readonly and {@link parsePolicyDocument} returns a
 * deeply frozen object.
 *
 * Build one with {@link parsePolicyDocument}; write one with
 * {@link encodePolicyDocument}.
 */
export interface PolicyDocument {
  /** The document's own version, an unsigned 32-bit integer (not the row's `policy_version`). */
  readonly version: number;
  /** A human-readable name. */
  readonly name: string;
  /** The rules, evaluated top to bottom: their order is meaningful. */
  readonly rules: readonly PolicyRule[];
  /** How the policy is applied; `'enforce'` when the stored document has none. */
  readonly enforcement_mode: EnforcementMode;
}

/**
 * Size limits of a {@link PolicyDocument}: the one deliberate difference from
 * upstream's reader, which has none. A policy is read on every tool call and
 * held in every instance's cache, so a document beyond these is refused as
 * malformed rather than parsed, cached and matched against.
 */
export const POLICY_LIMITS = Object.freeze({
  /** The most rules one document may hold. */
  maxRules: 10_000,
  /** The longest `name` or `action_pattern`, in UTF-16 code units. */
  maxTextLength: 4_096,
});
