import pg from 'pg';

/** The role a bench's stores connect as, the way a deployment's runtime does. */
export const RUNTIME_ROLE = 'aa_bench_app';

/** Where a bench's runtime connects, and whether row-level security binds it there. */
export interface RuntimeRole {
  readonly url: string;
  readonly name: string;
  readonly rowLevelSecurity: boolean;
}

/**
 * Creates (once per server) the unprivileged {@link RUNTIME_ROLE} and grants it
 * what a runtime needs on `schema`, so the store runs under row-level security
 * as in a deployment. Where the URL's role may not create roles, the bench
 * runs as that role instead and says so.
 */
export async function runtimeRole(
  admin: pg.Pool,
  url: string,
  schema: string,
): Promise<RuntimeRole> {
  const quoted = pg.escapeIdentifier(schema);
  try {
    await admin.query(`DO $$ BEGIN
        CREATE ROLE ${RUNTIME_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    await admin.query(`GRANT USAGE ON SCHEMA ${quoted} TO ${RUNTIME_ROLE}`);
    await admin.query(
      `GRANT SELECT, INSERT ON ${quoted}.agents, ${quoted}.policies TO ${RUNTIME_ROLE}`,
    );
  } catch {
    const { rows } = await admin.query<{ name: string; bypasses: boolean }>(
      'SELECT current_user AS name, rolsuper OR rolbypassrls AS bypasses FROM pg_roles WHERE rolname = current_user',
    );
    return { url, name: rows[0]?.name ?? 'unknown', rowLevelSecurity: rows[0]?.bypasses === false };
  }
  const runtime = new URL(url);
  runtime.username = RUNTIME_ROLE;
  runtime.password = '';
  return { url: runtime.toString(), name: RUNTIME_ROLE, rowLevelSecurity: true };
}
