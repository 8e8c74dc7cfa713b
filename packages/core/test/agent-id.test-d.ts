import { describe, expectTypeOf, it } from 'vitest';
import { AgentId, SessionId } from '../src/index.js';

describe('AgentId and SessionId types', () => {
  it('are distinct: one is not accepted where the other is expected', () => {
    const agent = AgentId.parse('00000000-0000-0000-0000-000000000000');
    const session = SessionId.parse('00000000-0000-0000-0000-000000000000');
    expectTypeOf(agent).not.toEqualTypeOf(session);

    const takesAgent = (id: AgentId) => id;
    // @ts-expect-error a SessionId is not an AgentId
    takesAgent(session);
    // @ts-expect-error a plain string is not an AgentId
    takesAgent('00000000-0000-0000-0000-000000000000');
    expectTypeOf(takesAgent(agent)).toEqualTypeOf<AgentId>();
  });

  it('are still strings wherever a string is read', () => {
    expectTypeOf(AgentId.parse('')).toExtend<string>();
  });
});
