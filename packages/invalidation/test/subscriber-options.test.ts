import { RecordingSink } from '@aa/testing';
import { describe, expect, it } from 'vitest';
import { resolveSubscriberOptions } from '../src/index.js';

describe('resolveSubscriberOptions()', () => {
  const sink = new RecordingSink();
  const resolve = (options: unknown) => () => resolveSubscriberOptions(options, []);

  it.each([
    ['connectTimeoutMs', Number.NaN],
    ['connectTimeoutMs', Number.POSITIVE_INFINITY],
    ['connectTimeoutMs', Number.MAX_VALUE],
    ['connectTimeoutMs', -0],
    ['connectTimeoutMs', 2 ** 53],
    ['connectTimeoutMs', 1.5],
    ['connectTimeoutMs', '100'],
    ['heartbeatIntervalMs', -0],
    ['heartbeatIntervalMs', 99],
    ['sinkTimeoutMs', 0],
    ['reconnectDelayMs', 0],
    ['connectTimeoutMs', null],
    ['sinkTimeoutMs', null],
    ['onError', null],
    ['random', null],
    ['scheduler', null],
  ])('rejects %s: %s with an "Expected … got …" TypeError', (name, value) => {
    expect(resolve({ sink, [name]: value })).toThrow(new RegExp(`^Expected \`${name}\`.*, got `));
    expect(resolve({ sink, [name]: value })).toThrow(TypeError);
  });

  it('rejects a sink array with a hole, naming the hole', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const sinks = [sink, , sink];
    expect(resolve({ sink: sinks })).toThrow(
      new TypeError(
        'Expected `sink[1]` to have `invalidate()` and `clear()` methods, got `undefined`',
      ),
    );
  });

  it('accepts a frozen options object and copies the sink array', () => {
    const sinks = [sink];
    const { resolved } = resolveSubscriberOptions(Object.freeze({ sink: sinks }), []);
    sinks.push(new RecordingSink());
    expect(resolved.sinks).toHaveLength(1);
    expect(Object.isFrozen(resolved)).toBe(true);
  });
});
