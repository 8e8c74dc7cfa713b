import { describeValue, type PolicyDocument, parsePolicyDocument } from '@aa/core';

const MAX_U32 = 0xffff_ffff;

/**
 * A throwaway, valid, deeply frozen policy document at `version`, named
 * `sample-v${version}`. Each call builds a new object, so two calls are equal
 * (`toEqual`) but not identical (`toBe`): a test can tell which load a value
 * came from.
 *
 * @param version - an integer in 0..4294967295, as a document's version is.
 * @throws {TypeError} when `version` is out of range.
 *
 * @example
 * const store = MemoryPolicyStore.withPolicy(id, samplePolicy(1));
 * store.insert(id, samplePolicy(2)); // a newer version of the same agent's policy
 */
export function samplePolicy(version: number): PolicyDocument {
  // Checked here rather than left to parsePolicyDocument, which would report a
  // bad argument as a stored document's Serialization error.
  if (!Number.isInteger(version) || version < 0 || version > MAX_U32) {
    throw new TypeError(
      `Expected \`version\` to be an integer in 0..${MAX_U32}, got ${describeValue(version)}`,
    );
  }
  return parsePolicyDocument(
    {
      version,
      name: `sample-v${version}`,
      rules: [
        { action_pattern: 'tools.read.*', decision: 'Allow' },
        { action_pattern: 'tools.shell.*', decision: 'RequireApproval' },
      ],
      enforcement_mode: 'enforce',
    },
    'samplePolicy()',
  );
}
