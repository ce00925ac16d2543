/**
 * Which documents a role may send (docs/security.md "Persisted operations"), checked after parsing and
 * before anything runs, over HTTP (request-checks.ts) and graphql-ws (the transport's `subscribe` checks):
 * - a role with `operations` sends only documents whose SHA-256 (of the text exactly as sent — the hash
 *   the access audit records) is listed;
 * - a role without `adHoc` may not introspect (`__schema`, `__type`), so GraphiQL and schema tools do not
 *   work for it.
 */
import type { DocumentNode, GraphQLError as GraphQLErrorType } from 'graphql';
import { ErrorCode } from '../../errors.js';
import type { RolePolicy } from '../../policy/policy.js';
import { documentHash } from '../access/access-entry.js';
import { graphqlJs } from '../graphql-js.js';

const { BREAK, GraphQLError, visit } = graphqlJs;

function introspects(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(f) {
      if (f.name.value === '__schema' || f.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** AUDITQL_OPERATION_NOT_ALLOWED when `role` may not send `query`, else null. */
export function operationNotAllowed(role: RolePolicy | undefined, query: string, document: DocumentNode): GraphQLErrorType | null {
  if (!role) return null; // an unknown role is refused field by field (enforce-policy.ts)
  const refuse = (message: string) => new GraphQLError(message, { extensions: { code: ErrorCode.OPERATION_NOT_ALLOWED } });
  if (role.operations && !role.operations.includes(`sha256:${documentHash(query)}`)) {
    return refuse(`the role ${JSON.stringify(role.name)} may send only its persisted operations, and this document is not one of them`);
  }
  if (!role.adHoc && introspects(document)) return refuse(`the role ${JSON.stringify(role.name)} may not introspect the schema (it is not allowed ad-hoc queries)`);
  return null;
}
