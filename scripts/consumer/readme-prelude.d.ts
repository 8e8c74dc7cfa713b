// What the README examples take as given: the application's own objects,
// declared so that every example compiles exactly as printed.
import type { L1Cache } from '@aa/cache';
import type { AgentId, OrgId, PolicyDocument, TenantAgentKey } from '@aa/core';
import type { PgPolicyStore } from '@aa/storage-postgres';
import type { Pool } from 'pg';

declare global {
  /** The application's logger. */
  const log: { warn(error: unknown, message?: string): void };
  /** A tracing span, as OpenTelemetry's. */
  const span: { start(name: string): void; end(): void; recordException(error: unknown): void };
  /** The request being served. */
  const request: { readonly headers: Record<string, string> };
  /** A row read from the policies table. */
  const row: { readonly body: unknown };
  /** An L1Cache for every tenant, over `store.tenantSource()`. */
  const policies: L1Cache<TenantAgentKey, PolicyDocument>;
  /** The claims of the caller's verified token. */
  const verifiedClaims: { readonly org_id: string };
  /** The agent id header of the request. */
  const agentIdHeader: string;
  /** A PostgreSQL pool and its URL. */
  const pool: Pool;
  const adminPool: Pool;
  const url: string;
  /** The policy store. */
  const store: PgPolicyStore;
  /** An agent, its org, and policies to write. */
  const agentId: AgentId;
  const orgId: OrgId;
  const policy: PolicyDocument;
  const newPolicy: PolicyDocument;
}
