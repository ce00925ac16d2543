/** The role view (src/policy/role-view.ts) of the caller a GraphQL context belongs to. */
import { AuditqlError, ErrorCode } from '../../errors.js';
import { roleView, type RoleView } from '../../policy/role-view.js';
import type { ApiContext } from '../context.js';

const cache = new WeakMap<object, RoleView>();

/** A caller without a role the policy defines sees nothing: every field refuses with AUDITQL_FORBIDDEN. */
export function viewOf(ctx: ApiContext): RoleView {
  let v = cache.get(ctx);
  if (v) return v;
  const role = ctx.auth.role;
  v = role === undefined ? undefined : (roleView(ctx.policy, role) ?? undefined);
  if (!v) throw new AuditqlError(ErrorCode.FORBIDDEN, role === undefined ? 'the caller has no role' : `the role ${JSON.stringify(role)} is not defined by the policy`);
  cache.set(ctx, v);
  return v;
}
