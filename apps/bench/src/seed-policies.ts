import { type AgentId, encodePolicyDocument } from '@aa/core';
import { samplePolicy } from '@aa/testing';
import pg from 'pg';

/**
 * One agent and one policy row per id, under the system org, in two
 * statements: the i-th at version `i + 1`, its body in upstream's format. An
 * insert checks the keys without counting as a scan.
 */
export async function seedPolicies(
  admin: pg.Pool,
  schema: string,
  ids: readonly AgentId[],
): Promise<void> {
  const bodies = ids.map((_, index) =>
    JSON.stringify(encodePolicyDocument(samplePolicy(index + 1))),
  );
  const quoted = pg.escapeIdentifier(schema);
  await admin.query(`INSERT INTO ${quoted}.agents (id) SELECT unnest($1::text[])`, [ids]);
  await admin.query(
    `INSERT INTO ${quoted}.policies (agent_id, policy_version, body)
     SELECT id, version, body::jsonb
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS seeded(id, body, version)`,
    [ids, bodies],
  );
}
