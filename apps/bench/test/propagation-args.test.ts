import { describe, expect, it } from 'vitest';
import { CliArgsError } from '../src/lib/args.js';
import { parsePropagationArgs } from '../src/propagation/args.js';
import { formatPropagation, runSucceeded } from '../src/propagation/report.js';
import type { TransportRun } from '../src/propagation/run-transport.js';

describe('parsePropagationArgs()', () => {
  it('defaults to 200 rounds and a 2 s timeout', () => {
    expect(parsePropagationArgs([])).toEqual({
      rounds: 200,
      timeoutMs: 2_000,
      json: false,
      help: false,
    });
  });

  it('reads every flag', () => {
    expect(parsePropagationArgs(['--rounds', '50', '--timeout-ms=500', '--json'])).toEqual({
      rounds: 50,
      timeoutMs: 500,
      json: true,
      help: false,
    });
  });

  it.each([
    [['--rounds', '0'], 'Expected `--rounds` to be a whole number from 1 to 100000, got `0`'],
    [['--rounds', '2.5'], 'Expected `--rounds` to be a whole number from 1 to 100000, got `2.5`'],
    [
      ['--rounds', '100001'],
      'Expected `--rounds` to be a whole number from 1 to 100000, got `100001`',
    ],
    [
      ['--timeout-ms', '5'],
      'Expected `--timeout-ms` to be a whole number from 10 to 60000, got `5`',
    ],
    [['--rounds'], "Option '--rounds <value>' argument missing"],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parsePropagationArgs(argv)).toThrow(CliArgsError);
    expect(() => parsePropagationArgs(argv)).toThrow(message);
  });
});

describe('formatPropagation()', () => {
  const run = (overrides: Partial<TransportRun>): TransportRun => ({
    transport: 'redis',
    rounds: 4,
    afterCommitMs: [1, 2, 3, 10],
    afterWriteStartMs: [5, 6, 7, 14],
    lost: 0,
    emptyInvalidations: 0,
    stale: 0,
    problems: [],
    ...overrides,
  });

  it('prints median, p99 and max per transport, and an OK verdict', () => {
    const report = formatPropagation([run({})], 'machine');
    expect(report).toContain('| Redis Streams | 4 | 4 | 2.50 | 10.00 | 10.00 | 6.50 |');
    expect(report).toContain('OK: Redis Streams');
    expect(runSucceeded(run({}))).toBe(true);
  });

  it('reports the gateway transport in its own row, next to the others', () => {
    const report = formatPropagation([run({}), run({ transport: 'gateway' })], 'machine');
    expect(report).toContain(
      '| Agent Assembly gateway (gRPC) | 4 | 4 | 2.50 | 10.00 | 10.00 | 6.50 |',
    );
    expect(report).toContain('OK: Agent Assembly gateway (gRPC)');
  });

  it('fails a run that lost an invalidation or left a stale copy', () => {
    const lossy = run({ transport: 'postgres', lost: 1, afterCommitMs: [1, 2, 3] });
    expect(runSucceeded(lossy)).toBe(false);
    expect(runSucceeded(run({ stale: 1 }))).toBe(false);
    expect(formatPropagation([lossy], 'machine')).toContain(
      'FAILED: PostgreSQL LISTEN/NOTIFY: 1 invalidation(s) never arrived',
    );
  });
});
