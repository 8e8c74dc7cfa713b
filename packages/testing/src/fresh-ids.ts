import { randomUUID } from 'node:crypto';
import { AgentId, OrgId } from '@aa/core';

// Ids the conformance suites make up, one per use, so that tests sharing a
// backend (a database, a bus) never see each other's rows or events. Internal
// to this package: not exported from any entry point.

/** A new, random agent id. */
export function freshAgentId(): AgentId {
  return AgentId.parse(randomUUID());
}

/** A new, random organisation id. */
export function freshOrgId(): OrgId {
  return OrgId.parse(randomUUID());
}
