import { describe, expect, it } from 'vitest';
import { parseCompareArgs } from '../../src/compare/args.js';
import { PEER_IDS } from '../../src/compare/peers/catalog.js';
import { WORKLOAD_IDS } from '../../src/compare/workloads/case-params.js';
import { CliArgsError } from '../../src/lib/args.js';

describe('parseCompareArgs()', () => {
  it('runs every workload against every peer by default', () => {
    expect(parseCompareArgs([])).toEqual({
      quick: false,
      only: WORKLOAD_IDS,
      peers: PEER_IDS,
      reps: undefined,
      jsonOut: 'bench-results/compare.json',
      loader: 'bundle',
      help: false,
    });
  });

  it('reads every flag, keeping workloads and peers in report order', () => {
    expect(
      parseCompareArgs([
        '--quick',
        '--only',
        'zipf, hit',
        '--peers=lru-cache,map',
        '--reps',
        '3',
        '--json-out',
        'out.json',
        '--loader',
        'tsx',
      ]),
    ).toEqual({
      quick: true,
      only: ['hit', 'zipf'],
      peers: ['map', 'lru-cache'],
      reps: 3,
      jsonOut: 'out.json',
      loader: 'tsx',
      help: false,
    });
  });

  it.each([
    [['--only', 'hit,nope'], 'Expected `--only` to list some of hit, '],
    [['--only', ''], 'Expected `--only` to list some of'],
    [['--peers', 'redis'], 'Expected `--peers` to list some of map, '],
    [['--reps', '0'], 'Expected `--reps` to be a whole number from 1 to 50, got `0`'],
    [['--reps', '51'], 'Expected `--reps` to be a whole number from 1 to 50, got `51`'],
    [['--reps', 'many'], 'Expected `--reps` to be a whole number from 1 to 50, got `many`'],
    [['--loader', 'ts-node'], 'Expected `--loader` to be bundle or tsx, got `ts-node`'],
    [['--json-out', ''], 'Expected `--json-out` to be a path, got an empty string'],
    [['--fast'], "Unknown option '--fast'"],
    [['--only'], "Option '--only <value>' argument missing"],
    [['extra'], "Unexpected argument 'extra'"],
  ])('rejects %j with a message saying why', (argv, message) => {
    expect(() => parseCompareArgs(argv)).toThrow(CliArgsError);
    expect(() => parseCompareArgs(argv)).toThrow(message);
  });
});
