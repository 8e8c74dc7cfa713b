import type { Parameters } from 'fast-check';

/** Runs per preset when `AA_PROPERTY_RUNS` is not set: what CI and `pnpm test` run. */
export const DEFAULT_RUNS_PER_PRESET = 40;

/**
 * How many runs each preset gets, and how to replay a failure, from the
 * environment `scripts/test-property.ts` sets: `AA_PROPERTY_RUNS` (per
 * preset), `AA_PROPERTY_SEED` and `AA_PROPERTY_PATH` (as printed by fast-check
 * on a failure).
 *
 * @throws {TypeError} when a variable is set to something unusable.
 */
export function propertyParameters(env: NodeJS.ProcessEnv = process.env): Parameters<unknown> {
  const { AA_PROPERTY_RUNS: runs, AA_PROPERTY_SEED: seed, AA_PROPERTY_PATH: path } = env;
  const parameters: Parameters<unknown> = { numRuns: DEFAULT_RUNS_PER_PRESET };
  if (runs !== undefined && runs !== '') {
    if (!/^[1-9]\d*$/.test(runs)) {
      throw new TypeError(`Expected \`AA_PROPERTY_RUNS\` to be an integer >= 1, got \`${runs}\``);
    }
    parameters.numRuns = Number(runs);
  }
  if (seed !== undefined && seed !== '') {
    if (!/^-?\d+$/.test(seed)) {
      throw new TypeError(`Expected \`AA_PROPERTY_SEED\` to be an integer, got \`${seed}\``);
    }
    parameters.seed = Number(seed);
  }
  if (path !== undefined && path !== '') {
    if (!/^\d+(:\d+)*$/.test(path)) {
      throw new TypeError(`Expected \`AA_PROPERTY_PATH\` to look like \`12:0:3\`, got \`${path}\``);
    }
    parameters.path = path;
  }
  return parameters;
}

/** Whether the run count was chosen (by `pnpm test:property`) rather than defaulted. */
export function runsChosen(env: NodeJS.ProcessEnv = process.env): boolean {
  const { AA_PROPERTY_RUNS: runs } = env;
  return runs !== undefined && runs !== '';
}
