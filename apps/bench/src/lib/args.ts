import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { z } from 'zod';
import { z as zod } from 'zod';

/** Thrown for command-line input a bench cannot run with; the message says why. */
export class CliArgsError extends Error {
  override readonly name = 'CliArgsError';
}

/**
 * A flag holding a whole number from `min` to `max`, read from its text, with
 * one message for every way to miss, such as "Expected `--seed` to be a whole
 * number from 0 to 4294967295, got `-1`".
 */
export function wholeNumberFlag(flag: string, min: number, max: number) {
  return zod.string().transform((text, context) => {
    const value = Number(text);
    if (/^\d+$/.test(text) && value >= min && value <= max) return value;
    context.addIssue({
      code: 'custom',
      message: `Expected \`${flag}\` to be a whole number from ${min} to ${max}, got \`${text}\``,
    });
    return zod.NEVER;
  });
}

/**
 * `--flag -1` as `--flag=-1` for every flag that takes a value: `parseArgs`
 * reads a value that starts with a dash as another flag and fails with its own
 * message, so a negative number would never reach the schema that explains
 * what the flag accepts.
 */
function joinDashedValues(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): string[] {
  const joined: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    const next = args[index + 1];
    const takesValue = arg.startsWith('--') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      index++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * Parses `argv` (without the node and script paths) with `node:util`'s
 * `parseArgs` (strict: unknown flags and positionals are errors), then checks
 * the values with `schema`. A value that looks like a negative number is the
 * flag's value, not another flag. A leading `--`, which some package-manager versions
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
  const args = joinDashedValues(argv[0] === '--' ? argv.slice(1) : argv, options);
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
