/**
 * Writing events to a subscriber's WebSocket: without a round trip and a system call per event, with a
 * bound on what one connection holds, and with a way out for a client that stops reading.
 *
 * graphql-ws's `ws` adapter sends each message with `socket.send(data, callback)` and waits for the
 * callback — the write reaching the kernel — before it takes the subscription's next event. Here, per
 * connection:
 * - while the socket has less than `highWaterBytes` queued, the callback is called as soon as the message
 *   is queued, so the next event follows at once; at or above it, the callback waits for the write as
 *   before — what one connection holds stays bounded (the high-water mark plus the message each of its
 *   subscriptions is sending), and a client that stops reading fills its subscriber queue next;
 * - the socket is corked until the end of the current tick, so everything sent meanwhile leaves in one
 *   `writev`;
 * - a connection that has had `highWaterBytes` or more queued for `stallMs` with nothing written out
 *   meanwhile is *stalled*: `onStall` is called once (the transport drops it as too slow);
 * - once `hold()` is called (the connection is being closed), messages sent through `socket.send` are
 *   discarded and their callbacks called, so nothing more piles up behind the backlog; `sendNow` still
 *   sends (the final error message);
 * - a write that fails because the connection is going away (`ERR_STREAM_DESTROYED` after a terminate, a
 *   send after close) is not an error for the sender: the socket's `close` event ends its subscriptions.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

type Send = WebSocket['send'];
type Callback = (err?: Error) => void;

export interface SocketFlowOptions {
  readonly highWaterBytes: number;
  /** At or above the high-water mark with nothing written out for this long: stalled. */
  readonly stallMs: number;
  readonly onStall: (bufferedBytes: number) => void;
}

export interface SocketFlow {
  /** Discard what is sent from now on (the connection is closing). */
  hold(): void;
  /** Send even while held. */
  sendNow(data: string): void;
}

export function socketFlow(socket: WebSocket, o: SocketFlowOptions): SocketFlow {
  // ws keeps the TCP socket as `_socket` (ws/lib/websocket.js); without it we only skip corking.
  const raw = (socket as unknown as { _socket?: Duplex })._socket;
  const send = socket.send.bind(socket) as (data: unknown, options?: unknown, cb?: Callback) => void;
  let corked = false;
  let held = false;
  let lastWrittenAt = performance.now();
  let watch: NodeJS.Timeout | null = null;
  let stalled = false;

  const open = () => socket.readyState === socket.OPEN;
  /** A write's callback: progress, and a failure only while the connection is still open. */
  const written = (cb?: Callback) => (err?: Error) => {
    lastWrittenAt = performance.now();
    cb?.(err && open() ? err : undefined);
  };
  const check = () => {
    watch = null;
    if (stalled || held || !open()) return;
    const buffered = socket.bufferedAmount;
    if (buffered < o.highWaterBytes) return;
    const quiet = performance.now() - lastWrittenAt;
    if (quiet >= o.stallMs) {
      stalled = true;
      o.onStall(buffered);
      return;
    }
    watch = setTimeout(check, Math.max(10, o.stallMs - quiet)).unref();
  };
  const watchBuffer = () => {
    if (watch === null && !stalled && socket.bufferedAmount >= o.highWaterBytes) {
      watch = setTimeout(check, o.stallMs).unref();
    }
  };
  socket.once('close', () => {
    if (watch) clearTimeout(watch);
    watch = null;
  });

  const cork = () => {
    if (raw && !corked && !raw.destroyed) {
      corked = true;
      raw.cork();
      process.nextTick(() => {
        corked = false;
        raw.uncork();
      });
    }
  };

  const patched = (data: unknown, optionsOrCb?: unknown, maybeCb?: unknown): void => {
    const cb = (typeof optionsOrCb === 'function' ? optionsOrCb : maybeCb) as Callback | undefined;
    const options = typeof optionsOrCb === 'function' ? undefined : optionsOrCb;
    if (held || !open()) {
      cb?.();
      return;
    }
    cork();
    if (cb && socket.bufferedAmount < o.highWaterBytes) {
      send(data, options, written());
      cb();
    } else {
      send(data, options, written(cb));
    }
    watchBuffer();
  };
  socket.send = patched as Send;

  return {
    hold() {
      held = true;
    },
    sendNow(data: string) {
      if (!open()) return;
      send(data, undefined, written());
    },
  };
}
