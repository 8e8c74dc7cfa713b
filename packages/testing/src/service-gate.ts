const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

/** Settings of {@link requireService}. */
export interface ServiceGateOptions {
  /** What to tell a developer whose server is unreachable (how to start or point at it). */
  readonly hint: string;
  /** How long the probe may take before the server counts as unreachable. @default 3_000 */
  readonly timeoutMs?: number;
  /** The environment to read `AA_REQUIRE_SERVICES` from. @default process.env */
  readonly env?: { readonly AA_REQUIRE_SERVICES?: string | undefined };
}

/**
 * Decides whether a suite that needs a real server (PostgreSQL, Redis, …) runs.
 * Runs `probe`; when it succeeds, returns `true`. When it fails or times out:
 * with `AA_REQUIRE_SERVICES=1` (as CI sets it) it throws, so the run fails;
 * otherwise (a laptop without the server) it prints one loud line saying what
 * is skipped and how to run it, and returns `false`.
 *
 * @example
 * const postgres = await requireService('PostgreSQL at 127.0.0.1:5432', () => ping(url), {
 *   hint: 'start PostgreSQL or set AA_PG_URL',
 * });
 * describe.runIf(postgres)('PgPolicyStore', () => { ... });
 */
export async function requireService(
  name: string,
  probe: () => Promise<unknown>,
  options: ServiceGateOptions,
): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const env = options.env ?? process.env;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (env.AA_REQUIRE_SERVICES === '1') {
      throw new Error(`${name} is unreachable (${reason}) and AA_REQUIRE_SERVICES=1`, {
        cause: error,
      });
    }
    console.warn(
      `\n!!! SKIPPING the suites that need ${name}: unreachable (${reason}).\n` +
        `!!! To run them: ${options.hint}. Set AA_REQUIRE_SERVICES=1 to make this a failure.\n`,
    );
    return false;
  } finally {
    clearTimeout(timer);
  }
}
