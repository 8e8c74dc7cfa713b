import { describe, expect, it } from 'vitest';
import { CliArgsError } from '../../src/lib/args.js';
import { parseSoakArgs } from '../../src/soak/soak-args.js';

const fixedSeed = () => 42;

describe('parseSoakArgs()', () => {
  it('defaults to 60 seconds and a random seed', () => {
    expect(parseSoakArgs([], fixedSeed)).toEqual({ seconds: 60, seed: 42, help: false });
  });

  it('reads every flag', () => {
    expect(parseSoakArgs(['--seconds', '10', '--seed=7', '--help'], fixedSeed)).toEqual({
      seconds: 10,
      seed: 7,
      help: true,
    });
  });

  it('ignores a leading `--` passed through by the package manager', () => {
    expect(parseSoakArgs(['--', '--seconds', '10'], fixedSeed)).toMatchObject({ seconds: 10 });
  });

  it('accepts the whole u32 range as a seed', () => {
    expect(parseSoakArgs(['--seed', '0'], fixedSeed).seed).toBe(0);
    expect(parseSoakArgs(['--seed', '4294967295'], fixedSeed).seed).toBe(4_294_967_295);
  });

  it.each([
    [['--seconds', '0'], 'Expected `--seconds` to be a whole number from 1 to 3600, got `0`'],
    [['--seconds', '3601'], 'Expected `--seconds` to be a whole number from 1 to 3600, got `3601`'],
    [['--seconds', '1.5'], 'Expected `--seconds` to be a whole number from 1 to 3600, got `1.5`'],
    [['--seconds', 'ten'], 'Expected `--seconds` to be a whole number from 1 to 3600, got `ten`'],
    [['--seconds', ''], 'Expected `--seconds` to be a whole number from 1 to 3600, got ``'],
    [['--seconds', '-5'], 'Expected `--seconds` to be a whole number from 1 to 3600, got `-5`'],
    [['--seed', '-1'], 'Expected `--seed` to be a whole number from 0 to 4294967295, got `-1`'],
    [['--seed', '-.5'], 'Expected `--seed` to be a whole number from 0 to 4294967295, got `-.5`'],
    [
      ['--seed', '4294967296'],
      'Expected `--seed` to be a whole number from 0 to 4294967295, got `4294967296`',
    ],
    [['--seed', '0x10'], 'Expected `--seed` to be a whole number from 0 to 4294967295, got `0x10`'],
    [['--seconds'], "Option '--seconds <value>' argument missing"],
    [['--minutes', '1'], "Unknown option '--minutes'"],
    [['10'], "Unexpected argument '10'"],
  ])('rejects %j with a message saying why', (argv, message) => {
    expect(() => parseSoakArgs(argv, fixedSeed)).toThrow(CliArgsError);
    expect(() => parseSoakArgs(argv, fixedSeed)).toThrow(message);
  });
});
