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
 * - `frames` is the fan-out's way in (fanout-delivery.ts): graphql-ws `next` messages given as the
 *   subscription's prefix and a payload shared by every subscriber of the operation, gathered per tick
 *   and written as one buffer of WebSocket frames (a frame is header + prefix + payload + `}`), so the
 *   payload is never re-serialized per subscriber. Whatever else is sent (graphql-ws's own messages, the
 *   final error) first flushes what is gathered, so the order on the connection is the order of the calls.
 *   The frames are written to the TCP socket only while no permessage-deflate extension is in use (the
 *   server offers none) — then ws's sender writes every frame at once and queues nothing, so a frame
 *   written beside it cannot overtake or split one of its own; otherwise each message goes through ws.
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
  readonly frames: FrameOut;
}

/** Gathered `next` messages of a connection (see above). */
export interface FrameOut {
  /** Queue the text message `prefix + payload + '}'`; it leaves with this tick's other writes. */
  next(prefix: Buffer, payload: Buffer): void;
  /** The connection has the high-water mark or more queued (gathered included): write nothing more now. */
  readonly full: boolean;
  /** Call `cb` once, when the connection is below the high-water mark again or closed. */
  onRoom(cb: () => void): void;
}

const SUFFIX = 0x7d; // '}'

/** Header length of an unmasked WebSocket frame carrying `n` bytes (RFC 6455 §5.2). */
const headerLength = (n: number) => (n < 126 ? 2 : n < 65_536 ? 4 : 10);

function writeHeader(buf: Buffer, at: number, n: number): number {
  buf[at] = 0x81; // FIN, text
  if (n < 126) {
    buf[at + 1] = n;
    return at + 2;
  }
  if (n < 65_536) {
    buf[at + 1] = 126;
    buf.writeUInt16BE(n, at + 2);
    return at + 4;
  }
  buf[at + 1] = 127;
  buf.writeUInt32BE(Math.floor(n / 2 ** 32), at + 2);
  buf.writeUInt32BE(n >>> 0, at + 6);
  return at + 10;
}

/** One buffer of text frames for the gathered messages (pairs of prefix and payload). */
function frameAll(parts: readonly Buffer[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const prefix = parts[i]!;
    const payload = parts[i + 1]!;
    at = writeHeader(out, at, prefix.length + payload.length + 1);
    at += prefix.copy(out, at);
    at += payload.copy(out, at);
    out[at++] = SUFFIX;
  }
  return out;
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
    wakeRoom();
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
  // Gathered `next` messages: [prefix, payload, prefix, payload …] and their framed size.
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  let roomWaiters: (() => void)[] = [];
  const rawFrames = () => raw !== undefined && socket.extensions === '';
  const flush = () => {
    if (gathered.length === 0) return;
    const parts = gathered;
    const bytes = gatheredBytes;
    gathered = [];
    gatheredBytes = 0;
    if (held || !open()) return;
    if (rawFrames() && !raw!.destroyed) {
      raw!.write(frameAll(parts, bytes), () => {
        lastWrittenAt = performance.now();
        wakeRoom();
      });
    } else {
      for (let i = 0; i < parts.length; i += 2) {
        send(Buffer.concat([parts[i]!, parts[i + 1]!, Buffer.of(SUFFIX)]), { binary: false }, written());
      }
    }
    watchBuffer();
  };
  const full = () => socket.bufferedAmount + gatheredBytes >= o.highWaterBytes;
  /** After every write that reached the kernel: whoever waits for room gets it once below the mark. */
  const wakeRoom = () => {
    if (roomWaiters.length === 0 || (open() && full())) return;
    const waiters = roomWaiters;
    roomWaiters = [];
    for (const w of waiters) w();
  };

  socket.once('close', () => {
    if (watch) clearTimeout(watch);
    watch = null;
    gathered = [];
    gatheredBytes = 0;
    const waiters = roomWaiters;
    roomWaiters = [];
    for (const w of waiters) w();
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
    flush();
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
      flush();
      send(data, undefined, written());
    },
    frames: {
      next(prefix: Buffer, payload: Buffer) {
        if (held || !open()) return;
        if (gathered.length === 0) process.nextTick(flush);
        gathered.push(prefix, payload);
        const n = prefix.length + payload.length + 1;
        gatheredBytes += headerLength(n) + n;
      },
      get full() {
        return full();
      },
      onRoom(cb: () => void) {
        roomWaiters.push(cb);
        // Full means a write is still on its way to the kernel: its callback wakes the waiters.
        if (!open() || !full()) process.nextTick(wakeRoom);
      },
    },
  };
}
