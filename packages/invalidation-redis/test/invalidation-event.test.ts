import { AgentId } from '@aa/core';
import { describe, expect, it } from 'vitest';
import {
  decodeInvalidationEvent,
  encodeInvalidationEvent,
  type InvalidationEvent,
} from '../src/invalidation-event.js';

const agentId = AgentId.parse('6F9619FF-8B86-D011-B42D-00CF4FC964FF');

describe('invalidation events on the wire', () => {
  it.each<InvalidationEvent>([{ kind: 'invalidate', agentId }, { kind: 'clear' }])(
    'round-trips %j',
    (event) => {
      expect(decodeInvalidationEvent(encodeInvalidationEvent(event))).toEqual(event);
    },
  );

  it('canonicalises an agent id written in upper case', () => {
    expect(decodeInvalidationEvent(['op', 'invalidate', 'agent', agentId.toUpperCase()])).toEqual({
      kind: 'invalidate',
      agentId,
    });
  });

  it('ignores fields it does not know, for forward compatibility', () => {
    expect(decodeInvalidationEvent(['v', '2', 'op', 'clear'])).toEqual({ kind: 'clear' });
  });

  it.each([
    [[], 'unknown op null'],
    [['op', 'drop'], 'unknown op "drop"'],
    [['op', 'invalidate'], 'agent null is not UUID text'],
    [['op', 'invalidate', 'agent', 'x'], 'agent "x" is not UUID text'],
    [['op'], 'odd number of fields (1)'],
  ])('explains why %j is not an event', (fields, reason) => {
    expect(decodeInvalidationEvent(fields)).toBe(reason);
  });
});
