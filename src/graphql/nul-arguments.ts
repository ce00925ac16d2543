/**
 * Arguments holding a NUL character (U+0000): PostgreSQL text and jsonb cannot hold one, so no stored
 * table, user, key or filter value can contain it, and sending one to SQL fails there ("invalid byte
 * sequence"). Such an argument is the caller's mistake, refused before anything runs: `AUDITQL_BAD_KEY`
 * for `key`, else `AUDITQL_BAD_INPUT`, naming the argument and never echoing its value (docs/errors.md).
 *
 * Looks at every argument of the document (fragments and directives included): string literals, and the
 * variables an argument refers to (their request value, else their default), strings and object keys at
 * any depth — JSON arguments such as `key` are free-form. The message names the argument and the input
 * field (`filter.table`), never the value. What depends on the document alone (the variables' defaults, which
 * arguments could hold a NUL at all) is worked out once per parsed document.
 */
import type { ArgumentNode, DocumentNode, GraphQLError as GraphQLErrorType, ValueNode, VariableDefinitionNode } from 'graphql';
import { graphqlJs } from './graphql-js.js';
import { ErrorCode } from '../errors.js';

const { GraphQLError, Kind, visit } = graphqlJs;

type Variables = Readonly<Record<string, unknown>> | null | undefined;

const NUL = '\u0000';

/**
 * Where in a value the first NUL is: '' for the value itself or an item of a list, '.field' (and deeper)
 * inside an input object; null when there is none.
 */
type Where = string | null;

function inJson(v: unknown): Where {
  if (typeof v === 'string') return v.includes(NUL) ? '' : null;
  if (Array.isArray(v)) return v.some((x) => inJson(x) !== null) ? '' : null;
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes(NUL)) return '';
      const at = inJson(x);
      if (at !== null) return `.${k}${at}`;
    }
  }
  return null;
}

function inLiteral(node: ValueNode, variable: (name: string) => Where): Where {
  switch (node.kind) {
    case Kind.STRING:
      return node.value.includes(NUL) ? '' : null;
    case Kind.LIST:
      return node.values.some((v) => inLiteral(v, variable) !== null) ? '' : null;
    case Kind.OBJECT:
      for (const f of node.fields) {
        const at = inLiteral(f.value, variable);
        if (at !== null) return `.${f.name.value}${at}`;
      }
      return null;
    case Kind.VARIABLE:
      return variable(node.name.value);
    default:
      return null;
  }
}

/** Why a value could hold U+0000 at run time: a string literal with one, or a variable (checked per request). */
function mayHold(node: ValueNode): boolean {
  switch (node.kind) {
    case Kind.STRING:
      return node.value.includes(NUL);
    case Kind.VARIABLE:
      return true;
    case Kind.LIST:
      return node.values.some(mayHold);
    case Kind.OBJECT:
      return node.fields.some((f) => mayHold(f.value));
    default:
      return false;
  }
}

interface Prepared {
  readonly definitions: ReadonlyMap<string, VariableDefinitionNode>;
  /** The arguments that could hold a NUL, in document order; the others never can. */
  readonly candidates: readonly ArgumentNode[];
}

/** Per parsed document (Apollo reuses one per query text): what does not depend on the variables. */
const prepared = new WeakMap<DocumentNode, Prepared>();

function prepare(document: DocumentNode): Prepared {
  let p = prepared.get(document);
  if (p) return p;
  const definitions = new Map<string, VariableDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) for (const v of d.variableDefinitions ?? []) definitions.set(v.variable.name.value, v);
  }
  const candidates: ArgumentNode[] = [];
  visit(document, {
    Argument(node) {
      if (mayHold(node.value)) candidates.push(node);
      return false;
    },
  });
  p = { definitions, candidates };
  prepared.set(document, p);
  return p;
}

/** The error for the first argument of `document` whose value holds U+0000, else null. */
export function nulArgumentError(document: DocumentNode, variables: Variables): GraphQLErrorType | null {
  const { definitions, candidates } = prepare(document);
  const variable = (name: string): Where => {
    if (variables && Object.prototype.hasOwnProperty.call(variables, name)) return inJson(variables[name]);
    const fallback = definitions.get(name)?.defaultValue;
    return fallback ? inLiteral(fallback, () => null) : null;
  };
  let found: { node: ArgumentNode; at: string } | undefined;
  for (const node of candidates) {
    const at = inLiteral(node.value, variable);
    if (at !== null) {
      found = { node, at };
      break;
    }
  }
  if (!found) return null;
  const name = found.node.name.value;
  // `key` is free-form JSON: its column names are the caller's, not the schema's, so only the argument is named.
  const key = name === 'key';
  return new GraphQLError(
    `argument \`${key ? name : name + found.at}\` contains a NUL character (U+0000), which no stored value can hold`,
    { nodes: [found.node], extensions: { code: key ? ErrorCode.BAD_KEY : ErrorCode.BAD_INPUT } },
  );
}
