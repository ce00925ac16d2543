/**
 * The name of a SQL statement on its span: what it does and to which relation, never its text. A named
 * statement (src/warehouse/named-statements.ts) goes by its label; any other by its first keyword and the
 * first relation it reads or writes (`select auditql.changes`), taken only from identifiers, so no literal
 * or value can reach the span whatever the statement holds.
 */
const VERB = /^\s*(select|insert|update|delete|with|copy|begin|commit|rollback|set|show|lock|listen|notify|values|call)\b/i;
const IDENT = String.raw`(?:"[A-Za-z_][A-Za-z0-9_$]{0,62}"|[A-Za-z_][A-Za-z0-9_$]{0,62})`;
const RELATION = new RegExp(String.raw`\b(?:from|into|update|join)\s+(${IDENT}(?:\.${IDENT})?)`, 'i');

export function sqlSpanName(text: string, label?: string): string {
  if (label !== undefined) return `sql ${label}`;
  const verb = VERB.exec(text)?.[1]?.toLowerCase() ?? 'statement';
  const relation = RELATION.exec(text)?.[1]?.replace(/"/g, '');
  return relation ? `sql ${verb} ${relation}` : `sql ${verb}`;
}
