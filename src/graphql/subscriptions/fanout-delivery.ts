/**
 * Delivering one feed subscription to its WebSocket without graphql-ws's per-message loop (docs/subscriptions.md
 * "Fan-out"). graphql-ws awaits, per subscriber and per event, the iterator's `next()`, the `onNext` hook,
 * a `JSON.stringify` of the whole message and the socket write: events × subscribers promises and
 * serializations. Here, when the subscriber's queue gets items (synchronously, from the feed group's
 * delivery or its own replay), one microtask writes as many as the connection takes:
 * - each event's payload comes from event-payloads.ts — executed and serialized once per event per
 *   distinct operation, the same bytes for every subscriber of it;
 * - the message is the subscription's own prefix `{"id":…,"type":"next","payload":` + those bytes + `}`,
 *   gathered per connection per tick and written as one buffer (socket-writes.ts `frames`);
 * - an event whose execution is still running (a field resolver waiting on its batch's loader) holds
 *   back this subscriber's later events — the order stays the feed's — and starts the executions of the
 *   events behind it, so their loaders batch together; one wait per such stretch, not per event;
 * - a full connection stops taking: the queue fills, and the feed's flow control takes over (the
 *   subscriber replays from its cursor, or is dropped as too slow).
 * To graphql-ws this is an iterator that yields nothing: its one `next()` settles when the subscription
 * ends (done) or is dropped (rejected with AUDITQL_SUBSCRIBER_TOO_SLOW), and `return()` (the client's
 * `complete`, the connection closing) ends the feed subscription.
 */
import type { ExecutionResult } from 'graphql';
import type { FeedSubscription } from '../../feed/feed-subscription.js';
import type { FeedRow } from '../../feed/feed-spec.js';
import { eventPayload, type SharedOperation } from './event-payloads.js';
import type { FrameOut } from './socket-writes.js';

/** Where one subscription's messages go: its graphql-ws id on its connection. */
export interface DeliveryTarget {
  readonly id: string;
  readonly frames: FrameOut;
  /** Told of each event written (the access audit counts them). */
  readonly onEvent?: () => void;
}

/** Events behind a waiting one whose executions are started with it (they share its loaders' batch). */
const LOOKAHEAD = 1000;

export function deliverFeed<R extends FeedRow, T extends object>(
  source: FeedSubscription<R, T>, op: SharedOperation, target: DeliveryTarget,
): AsyncIterableIterator<ExecutionResult> {
  const reader = source.reader;
  const prefix = Buffer.from(`{"id":${JSON.stringify(target.id)},"type":"next","payload":`, 'utf8');
  let scheduled = false;
  let waiting = false;
  let finished = false;
  let settle: { resolve: (r: IteratorResult<ExecutionResult>) => void; reject: (err: unknown) => void } | null = null;
  let outcome: Promise<IteratorResult<ExecutionResult>> | null = null;

  const schedule = () => {
    if (scheduled || finished) return;
    scheduled = true;
    queueMicrotask(pump);
  };
  const resume = () => {
    waiting = false;
    schedule();
  };

  function pump(): void {
    scheduled = false;
    if (finished || waiting) return;
    const frames = target.frames;
    while (reader.size > 0) {
      if (frames.full) {
        waiting = true;
        frames.onRoom(resume);
        return;
      }
      const p = eventPayload(op, reader.peek(0)!);
      if (p.bytes === null) {
        const n = Math.min(reader.size, LOOKAHEAD);
        for (let i = 1; i < n; i++) eventPayload(op, reader.peek(i)!);
        waiting = true;
        void p.ready!.then(resume);
        return;
      }
      reader.shift();
      frames.next(prefix, p.bytes);
      target.onEvent?.();
    }
    if (reader.closed) finish();
  }

  function finish(): void {
    if (finished) return;
    finished = true;
    reader.watch(null);
    // The queue is empty and closed: its `take()` says how it ended (done, or the drop's error).
    const end = source.next().then((): IteratorResult<ExecutionResult> => ({ done: true, value: undefined }));
    end.catch(() => {}); // handled by whoever calls next()
    outcome = end;
    if (settle) {
      const s = settle;
      settle = null;
      end.then(s.resolve, s.reject);
    }
  }

  reader.watch(schedule);
  schedule();

  const it: AsyncIterableIterator<ExecutionResult> = {
    next() {
      if (outcome) return outcome;
      return new Promise<IteratorResult<ExecutionResult>>((resolve, reject) => {
        settle = { resolve, reject };
      });
    },
    async return() {
      source.end();
      finish();
      return { done: true, value: undefined };
    },
    async throw(err: unknown) {
      source.end();
      finish();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return it;
}
