import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../src/args.js';
import { CliArgsError } from '../src/lib/args.js';

describe('parseBenchArgs()', () => {
  it('defaults to 100 callers of one key and a 50 ms load from the in-memory store', () => {
    expect(parseBenchArgs([])).toEqual({
      source: 'memory',
      concurrency: 100,
      delayMs: 50,
      keys: 1,
      json: false,
      help: false,
    });
  });

  it('reads every flag', () => {
    expect(
      parseBenchArgs(['--concurrency', '1000', '--delay-ms=0', '--keys', '10', '--json']),
    ).toEqual({
      source: 'memory',
      concurrency: 1000,
      delayMs: 0,
      keys: 10,
      json: true,
      help: false,
    });
  });

  it('reads --source, memory or postgres, where postgres has no artificial delay', () => {
    expect(parseBenchArgs(['--source', 'memory', '--delay-ms', '7'])).toMatchObject({
      source: 'memory',
      delayMs: 7,
    });
    expect(parseBenchArgs(['--source=postgres', '--keys', '3'])).toEqual({
      source: 'postgres',
      concurrency: 100,
      delayMs: 0,
      keys: 3,
      json: false,
      help: false,
    });
  });

  it.each([
    [
      ['--concurrency', '0'],
      'Expected `--concurrency` to be a whole number from 1 to 1000000, got `0`',
    ],
    [
      ['--concurrency', '1.5'],
      'Expected `--concurrency` to be a whole number from 1 to 1000000, got `1.5`',
    ],
    [
      ['--concurrency', '-3'],
      'Expected `--concurrency` to be a whole number from 1 to 1000000, got `-3`',
    ],
    [
      ['--delay-ms', 'soon'],
      'Expected `--delay-ms` to be a whole number from 0 to 60000, got `soon`',
    ],
    [
      ['--delay-ms', '60001'],
      'Expected `--delay-ms` to be a whole number from 0 to 60000, got `60001`',
    ],
    [['--keys', '20000'], 'Expected `--keys` to be a whole number from 1 to 10000, got `20000`'],
    [
      ['--concurrency', '1000', '--keys', '10000'],
      'Expected `--concurrency` × `--keys` to be at most 1000000, got 1000 × 10000',
    ],
    [['--source', 'redis'], 'Expected `--source` to be memory or postgres, got `redis`'],
    [['--source', 'Postgres'], 'Expected `--source` to be memory or postgres, got `Postgres`'],
    [['--source'], "Option '--source <value>' argument missing"],
    [
      ['--source', 'postgres', '--delay-ms', '5'],
      'Expected `--delay-ms` only with `--source memory` (PostgreSQL answers at its own speed)',
    ],
    [['--loud'], "Unknown option '--loud'"],
    [['--json', '-1'], "Unknown option '-1'"],
    [['--keys'], "Option '--keys <value>' argument missing"],
    [['extra'], "Unexpected argument 'extra'"],
  ])('rejects %j with a message saying why', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(CliArgsError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
