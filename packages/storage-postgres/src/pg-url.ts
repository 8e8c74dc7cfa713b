/**
 * The PostgreSQL URL the tests, the bench and the examples use when `AA_PG_URL`
 * is unset: the local server with trust auth and the `test` database.
 */
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The PostgreSQL connection URL from the environment: `AA_PG_URL` when it is
 * set and not empty, {@link DEFAULT_PG_URL} otherwise. The store and the
 * subscriber never read the environment themselves; this is for the code that
 * builds their pool and client.
 *
 * @param env - where to read `AA_PG_URL` from.
 * @default env process.env
 *
 * @example
 * const pool = new pg.Pool({ connectionString: pgUrlFromEnv(), connectionTimeoutMillis: 5_000 });
 */
export function pgUrlFromEnv(
  env: { readonly AA_PG_URL?: string | undefined } = process.env,
): string {
  const url = env.AA_PG_URL;
  return url === undefined || url === '' ? DEFAULT_PG_URL : url;
}
