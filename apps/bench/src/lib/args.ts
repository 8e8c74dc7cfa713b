import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { z } from 'zod';
import { z as zod } from 'zod';

/** Thrown for command-line input a bench cannot run with; the message says why. */
export class CliArgsError extends Error {
  override readonly name = 'CliArgsError';
}

/**
 * A flag holding a whole number from `min` to `max`, read from its text, with
 * messages such as "Expected --rounds to be at most 100000".
 */
export function wholeNumberFlag(flag: string, min: number, max: number) {
  return zod
    .string()
    .regex(/^\d+$/, { error: `Expected ${flag} to be a whole number` })
    .transform(Number)
    .pipe(
      zod
        .number()
        .min(min, { error: `Expected ${flag} to be at least ${min}` })
        .max(max, { error: `Expected ${flag} to be at most ${max}` }),
    );
}

/**
 * Parses `argv` (without the node and script paths) with `node:util`'s
 * `parseArgs` (strict: unknown flags and positionals are errors), then checks
 * the values with `schema`. A leading `--`, which some package-manager versions
 * pass through, is ignored.
 *
 * @throws {CliArgsError} for an unknown flag, a missing value or a value the
 *   schema rejects, with every problem in the message.
 */
export function parseCliArgs<S extends z.ZodType>(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: S,
): z.output<S> {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args, strict: true, allowPositionals: false, options }));
  } catch (error) {
    throw new CliArgsError((error as Error).message, { cause: error });
  }
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new CliArgsError(result.error.issues.map((issue) => issue.message).join('; '), {
      cause: result.error,
    });
  }
  return result.data;
}
