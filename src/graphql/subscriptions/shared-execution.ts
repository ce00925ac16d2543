/**
 * Executing a subscription event once for everyone who asked the same thing (docs/subscriptions.md
 * "Field resolvers"). graphql-js's `subscribe` executes the selection set once per event per subscriber:
 * with 1,000 subscribers on one filter, 1,000 identical executions of every row. Here the source stream
 * comes from graphql-js (`createSourceEventStream`, so validation, argument coercion and the subscribe
 * resolvers are its), and each event is executed through a memo keyed by the event object — shared by all
 * members of a feed group — and by what the result can depend on: the document text, the operation name,
 * the variables the selection set uses (not `filter`/`after`, which only choose the stream), and the
 * caller's `AuthContext` (so results never cross identities once fields depend on who asks).
 */
import type { DocumentNode, ExecutionArgs, ExecutionResult, OperationDefinitionNode } from 'graphql';
import { graphqlJs } from '../graphql-js.js';
import { canonicalKey } from '../../feed/feed-spec.js';
import type { AuthContext } from '../auth.js';
import { FeedSubscription } from '../../feed/feed-subscription.js';
import { runEvent, type SharedOperation } from './event-payloads.js';
import { deliverFeed, type DeliveryTarget } from './fanout-delivery.js';

const { createSourceEventStream, getOperationAST, Kind, visit } = graphqlJs;

/** Variables used anywhere in the operation except the arguments of its root field. */
function selectionVariables(document: DocumentNode, op: OperationDefinitionNode): Set<string> {
  const names = new Set<string>();
  const root = op.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  const rootArgs = new Set(root && root.kind === Kind.FIELD ? (root.arguments ?? []) : []);
  const collect = (node: Parameters<typeof visit>[0]) =>
    visit(node, {
      Argument(arg) {
        if (rootArgs.has(arg)) return false; // the stream's own arguments: filter, after
        return undefined;
      },
      Variable(v) {
        names.add(v.name.value);
      },
      VariableDefinition() {
        return false;
      },
    });
  collect(op);
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) collect(def);
  return names;
}

/**
 * What an event's result may depend on about the caller. Today the whole `AuthContext`, so results never
 * cross identities; masking per role narrows it to what the masks depend on (the role), so callers with
 * the same role share executions again.
 */
export function executionScope(auth: AuthContext): string {
  return canonicalKey(auth);
}

/** The memo key of one operation: equal keys produce equal results for the same event. */
export function executionKey(query: string, args: ExecutionArgs, auth: AuthContext): string {
  const op = getOperationAST(args.document, args.operationName);
  const used = op ? selectionVariables(args.document, op) : new Set<string>();
  const vars = Object.fromEntries(Object.entries(args.variableValues ?? {}).filter(([k]) => used.has(k)));
  return JSON.stringify([query, args.operationName ?? null, canonicalKey(vars), executionScope(auth)]);
}

const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

function executeEvent(args: ExecutionArgs, key: string, event: unknown): Promise<ExecutionResult> {
  const run = () => Promise.resolve(runEvent(args, event));
  if (typeof event !== 'object' || event === null) return run();
  let byKey = results.get(event);
  if (!byKey) results.set(event, (byKey = new Map()));
  let p = byKey.get(key);
  if (!p) {
    p = run();
    byKey.set(key, p);
  }
  return p;
}

/**
 * graphql-ws's `subscribe`: graphql-js's source stream. A change-feed stream with a delivery target is
 * written to its connection directly (fanout-delivery.ts); any other stream goes through graphql-ws's own
 * loop, each event executed through the shared memo.
 */
export async function subscribeShared(
  args: ExecutionArgs, op: Omit<SharedOperation, 'args'>, target?: DeliveryTarget,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const key = op.key;
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in (stream as object))) return stream as ExecutionResult;
  if (target && stream instanceof FeedSubscription) return deliverFeed(stream, { ...op, args }, target);
  const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const r = await source.next();
      if (r.done) return { done: true, value: undefined };
      return { done: false, value: await executeEvent(args, key, r.value) };
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(err: unknown) {
      await source.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return mapped;
}
