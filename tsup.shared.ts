import type { Options } from 'tsup';

/**
 * The build every published package shares: ESM for Node 20, with declarations
 * and source maps, from the given entry points.
 *
 * @example
 * // packages/<name>/tsup.config.ts
 * export default packageBuild(['src/index.ts']);
 */
export function packageBuild(entry: readonly string[]): Options {
  return {
    entry: [...entry],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
  };
}
