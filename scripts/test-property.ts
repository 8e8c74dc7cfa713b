/**
 * `pnpm test:property [--runs N] [--seed S] [--path P] [--preset NAME]`: runs the
 * model-based property tests of `@aa/cache` (packages/cache/test/property) with
 * N generated scenarios per option preset instead of the few that `pnpm test`
 * runs. On a failure fast-check prints the seed and path; pass them back with
 * `--seed` and `--path` (and `--preset`) to replay the shrunk counterexample.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `Usage: pnpm test:property [--runs N] [--seed S] [--path P] [--preset NAME]

  --runs N       scenarios per option preset (integer >= 1; default: as in pnpm test)
  --seed S       fast-check seed to replay (integer), as printed on a failure
  --path P       fast-check path to replay (e.g. 12:0:3), as printed on a failure
  --preset NAME  only the presets whose name contains NAME (e.g. loadTimeoutMs)`;

const MAX_RUNS = 10_000_000;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parse() {
  // `pnpm test:property -- --runs 5` passes the `--` through.
  const args = process.argv.slice(2).filter((arg, index) => index > 0 || arg !== '--');
  try {
    return parseArgs({
      args,
      options: {
        runs: { type: 'string' },
        seed: { type: 'string' },
        path: { type: 'string' },
        preset: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

const options = parse();
if (options.help === true) {
  console.log(USAGE);
  process.exit(0);
}

/** What the property test reads (see packages/cache/test/property/config.ts). */
const variables: {
  AA_PROPERTY_RUNS?: string;
  AA_PROPERTY_SEED?: string;
  AA_PROPERTY_PATH?: string;
} = {};

const { runs, seed, path, preset } = options;
if (runs !== undefined) {
  const count = Number(runs);
  if (!/^\d+$/.test(runs) || !Number.isSafeInteger(count) || count < 1 || count > MAX_RUNS) {
    fail(`Expected \`--runs\` to be an integer from 1 to ${MAX_RUNS}, got \`${runs}\``);
  }
  variables.AA_PROPERTY_RUNS = String(count);
}
if (seed !== undefined) {
  const value = Number(seed);
  if (!/^-?\d+$/.test(seed) || value < -(2 ** 31) || value >= 2 ** 31) {
    fail(`Expected \`--seed\` to be a 32-bit integer, got \`${seed}\``);
  }
  variables.AA_PROPERTY_SEED = String(value);
}
if (path !== undefined) {
  if (!/^\d+(:\d+)*$/.test(path)) {
    fail(`Expected \`--path\` to look like \`12:0:3\`, got \`${path}\``);
  }
  variables.AA_PROPERTY_PATH = path;
}
if (preset !== undefined && preset.trim() === '')
  fail('Expected `--preset` to be a non-empty name');

const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const args = [vitest, 'run', '--project', 'cache', 'test/property'];
if (preset !== undefined) {
  // vitest's -t takes a regular expression; the name is matched literally.
  args.push('-t', preset.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

const described = [
  `runs per preset: ${variables.AA_PROPERTY_RUNS ?? 'default'}`,
  seed === undefined ? 'seed: random (printed on failure)' : `seed: ${seed}`,
  ...(path === undefined ? [] : [`path: ${path}`]),
  ...(preset === undefined ? [] : [`presets matching: ${preset}`]),
].join(', ');
console.log(`test:property: ${described}`);

// Inherited values would otherwise leak into this run.
const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('AA_PROPERTY_'));
const env = { ...Object.fromEntries(inherited), ...variables };

const started = performance.now();
const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
child.on('error', (error) => fail(`Could not start vitest: ${error.message}`));
child.on('exit', (code, signal) => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const outcome =
    code === 0 ? 'passed' : signal === null ? `failed (exit ${code})` : `killed by ${signal}`;
  console.log(`test:property: ${outcome} in ${seconds} s`);
  process.exit(code ?? 1);
});
