import { AgentId } from '@aa/core';

/**
 * What one stream entry says: drop one agent's cached policy, or drop them all.
 * On the wire, an entry's fields are `op invalidate agent <uuid>` or `op clear`.
 */
export type InvalidationEvent =
  | { readonly kind: 'invalidate'; readonly agentId: AgentId }
  | { readonly kind: 'clear' };

const OP = 'op';
const AGENT = 'agent';

/** The field/value list of the stream entry announcing `event`, as XADD takes it. */
export function encodeInvalidationEvent(event: InvalidationEvent): string[] {
  return event.kind === 'invalidate' ? [OP, 'invalidate', AGENT, event.agentId] : [OP, 'clear'];
}

/**
 * Reads a stream entry's flat field/value list back into an event.
 *
 * @returns the event, or a sentence saying why the entry is not one (unknown or
 *   missing `op`, an agent id that is not UUID text, an odd field list).
 */
export function decodeInvalidationEvent(fields: readonly unknown[]): InvalidationEvent | string {
  if (fields.length % 2 !== 0) return `odd number of fields (${fields.length})`;
  let op: unknown;
  let agent: unknown;
  for (let index = 0; index < fields.length; index += 2) {
    const name = fields[index];
    if (name === OP) op = fields[index + 1];
    else if (name === AGENT) agent = fields[index + 1];
  }
  if (op === 'clear') return { kind: 'clear' };
  if (op !== 'invalidate') return `unknown op ${JSON.stringify(op ?? null)}`;
  if (!AgentId.is(agent)) {
    try {
      return { kind: 'invalidate', agentId: AgentId.parse(agent) };
    } catch {
      return `agent ${JSON.stringify(agent ?? null)} is not UUID text`;
    }
  }
  return { kind: 'invalidate', agentId: agent };
}
