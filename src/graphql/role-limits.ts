/**
 * The limits one caller runs under (docs/security.md "Per-role limits"): the server's page size, depth
 * and cost limits, lowered by the caller's role where its policy sets lower ones (a role cannot raise them).
 */
import type { Policy } from '../policy/policy.js';
import type { QueryLimits } from './limits.js';

export interface CallerLimits extends QueryLimits {
  readonly maxPageSize: number;
}

const lower = (server: number, role: number | null) => (role === null ? server : Math.min(server, role));

export function callerLimits(policy: Policy, role: string | undefined, server: CallerLimits): CallerLimits {
  const r = role === undefined ? undefined : policy.roles.get(role)?.limits;
  if (!r) return server;
  return { maxPageSize: lower(server.maxPageSize, r.maxPageSize), maxDepth: lower(server.maxDepth, r.maxDepth), maxCost: lower(server.maxCost, r.maxCost) };
}
