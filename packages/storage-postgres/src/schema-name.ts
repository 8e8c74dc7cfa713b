import { describeValue } from '@aa/core';
import pg from 'pg';

/** The schema the store and `migrate()` use when none is given. */
export const DEFAULT_SCHEMA = 'public';

/**
 * The longest schema name accepted: short enough that the default channel
 * (`aa_policies.<schema>`, see {@link policyChannel}) stays within PostgreSQL's
 * 63-byte identifier limit.
 */
export const MAX_SCHEMA_NAME_LENGTH = 48;

const SCHEMA_NAME = new RegExp(`^[a-z_][a-z0-9_]{0,${MAX_SCHEMA_NAME_LENGTH - 1}}$`);

/**
 * Checks a caller-provided schema name. Only lowercase unquoted-style
 * identifiers are accepted (`[a-z_][a-z0-9_]*`, at most 48 characters, not
 * starting with the reserved `pg_`), so the name means the same thing quoted or
 * not and cannot smuggle SQL; it is still quoted wherever it is used.
 *
 * @throws {TypeError} "Expected `schema` to be …, got …".
 */
export function checkSchemaName(schema: unknown, option = 'schema'): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new TypeError(
      `Expected \`${option}\` to be a lowercase SQL identifier ([a-z_][a-z0-9_]*, at most ${MAX_SCHEMA_NAME_LENGTH} characters, not starting with pg_), got ${describeValue(schema)}`,
    );
  }
  return schema;
}

/** The quoted, schema-qualified name of `table` in `schema`. */
export function qualified(schema: string, table: 'orgs' | 'agents' | 'policies'): string {
  return `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`;
}
