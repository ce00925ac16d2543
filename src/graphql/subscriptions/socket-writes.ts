/**
 * Writing events to a subscriber's WebSocket without a round trip and a system call per event.
 *
 * graphql-ws's `ws` adapter sends each message with `socket.send(data, callback)` and waits for the
 * callback — the write reaching the kernel — before it takes the subscription's next event. With many
 * subscribers and a burst of rows that is one event-loop turn and one `writev` per event per subscriber.
 * Here, per connection:
 * - while the socket has less than `highWaterBytes` queued, the callback is called as soon as the message
 *   is queued, so the next event follows at once; at or above it, the callback waits for the write as
 *   before — what one connection holds stays bounded, and a client that stops reading still fills its
 *   subscriber queue and is dropped (src/feed/feed-subscription.ts);
 * - the socket is corked until the end of the current tick, so everything sent meanwhile leaves in one
 *   `writev`.
 * A failed write still surfaces: the socket emits 'error'/'close' and graphql-ws ends its subscriptions.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

type Send = WebSocket['send'];

export function coalesceWrites(socket: WebSocket, highWaterBytes: number): void {
  // ws keeps the TCP socket as `_socket` (ws/lib/websocket.js); without it we only skip corking.
  const raw = (socket as unknown as { _socket?: Duplex })._socket;
  const send = socket.send.bind(socket) as (data: unknown, options?: unknown, cb?: (err?: Error) => void) => void;
  let corked = false;
  const patched = (data: unknown, optionsOrCb?: unknown, maybeCb?: unknown): void => {
    const cb = (typeof optionsOrCb === 'function' ? optionsOrCb : maybeCb) as ((err?: Error) => void) | undefined;
    const options = typeof optionsOrCb === 'function' ? undefined : optionsOrCb;
    if (raw && !corked && !raw.destroyed) {
      corked = true;
      raw.cork();
      process.nextTick(() => {
        corked = false;
        raw.uncork();
      });
    }
    if (cb && socket.bufferedAmount < highWaterBytes) {
      send(data, options, () => {});
      cb();
      return;
    }
    send(data, options, cb);
  };
  socket.send = patched as Send;
}
