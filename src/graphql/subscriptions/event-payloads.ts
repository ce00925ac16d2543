/**
 * The serialized result of one event for one distinct operation (docs/subscriptions.md "Fan-out"): the
 * JSON of the graphql-ws `next` message's `payload`, as UTF-8 bytes, built once per event per execution
 * key (shared-execution.ts `executionKey`: document, operation, the variables the selection uses, the
 * caller's scope) and written as is to every subscriber of that operation — only the subscription `id`
 * around it differs (fanout-delivery.ts). Errors are masked once, here, as `onNext` masks them on the
 * per-message path. Kept in a WeakMap on the event object: garbage once no subscriber queue holds it.
 */
import type { ExecutionArgs, ExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';
import { graphqlJs } from '../graphql-js.js';
import type { Loaders } from '../loaders.js';

const { GraphQLError: GraphQLErrorClass, execute } = graphqlJs;

interface WithLoaders {
  readonly loaders: Loaders;
}

/** Execute the operation's selection over one event, with the loaders of the event's batch (batch-loaders.ts). */
export function runEvent(args: ExecutionArgs, event: unknown): ReturnType<typeof execute> {
  const loaders = (event as Partial<WithLoaders> | null)?.loaders;
  const contextValue = loaders ? { ...(args.contextValue as object), loaders, useLoaders() {} } : args.contextValue;
  return execute({ ...args, contextValue, rootValue: event });
}

/** One distinct operation, as the fan-out executes it. */
export interface SharedOperation {
  readonly args: ExecutionArgs;
  /** Equal keys produce equal payloads for the same event (shared-execution.ts `executionKey`). */
  readonly key: string;
  /** Masks errors for clients (the transport's formatter). */
  readonly format: (errors: readonly GraphQLError[]) => GraphQLFormattedError[];
}

export interface EventPayload {
  /** The payload JSON (UTF-8); null until the execution finished. */
  bytes: Buffer | null;
  /** Settles when `bytes` is set; null when it was set at once. */
  readonly ready: Promise<void> | null;
}

const payloads = new WeakMap<object, Map<string, EventPayload>>();

function encode(op: SharedOperation, r: ExecutionResult): Buffer {
  const json = r.errors ? JSON.stringify({ ...r, errors: op.format(r.errors) }) : JSON.stringify(r);
  return Buffer.from(json, 'utf8');
}

function failed(op: SharedOperation, err: unknown): Buffer {
  const e = err instanceof GraphQLErrorClass ? err : new GraphQLErrorClass((err as Error)?.message ?? String(err), { originalError: err as Error });
  return encode(op, { errors: [e] });
}

/** The payload of `event` for `op`: executed on first request (synchronously when no resolver waits). */
export function eventPayload(op: SharedOperation, event: object): EventPayload {
  let byKey = payloads.get(event);
  if (!byKey) payloads.set(event, (byKey = new Map()));
  let p = byKey.get(op.key);
  if (p) return p;
  let result: ReturnType<typeof runEvent>;
  try {
    result = runEvent(op.args, event);
  } catch (err) {
    p = { bytes: failed(op, err), ready: null };
    byKey.set(op.key, p);
    return p;
  }
  if (result instanceof Promise) {
    const pending: EventPayload = {
      bytes: null,
      ready: result.then(
        (r) => void (pending.bytes = encode(op, r)),
        (err: unknown) => void (pending.bytes = failed(op, err)),
      ),
    };
    p = pending;
  } else {
    p = { bytes: encode(op, result as ExecutionResult), ready: null };
  }
  byKey.set(op.key, p);
  return p;
}
