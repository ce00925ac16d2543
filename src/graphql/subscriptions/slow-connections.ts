/**
 * Dropping a connection whose client does not keep up (docs/subscriptions.md "Flow control and slow
 * clients"), in bounded time and memory, however it stopped:
 * - its subscriber queue stayed full while it took nothing (the feed's `onDrop`, src/feed/), or
 * - its socket stayed at the high-water mark with nothing written out (socket-writes.ts `onStall`).
 * Either way: nothing more is queued for it, each of its subscriptions gets an `error` message with
 * AUDITQL_SUBSCRIBER_TOO_SLOW behind what is already on its way, then the close frame 4429 /
 * AUDITQL_SUBSCRIBER_TOO_SLOW, and its subscriptions end on the server at once. A client that reads on gets
 * them in that order; one that still does not read within `closeGraceMs` has its TCP connection dropped,
 * so the bytes still queued for it are freed too.
 */
import type { WebSocket } from 'ws';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { CloseReason, SubscriptionCloseCode } from './close-codes.js';
import { socketFlow, type FrameOut, type SocketFlow } from './socket-writes.js';

/** What the transport reports when it drops a connection as too slow (tests, operators). */
export interface TooSlowConnection {
  /** `queue`: a subscriber queue stayed full; `socket`: the socket stayed full. */
  readonly cause: 'queue' | 'socket';
  /** Bytes the connection had queued for the network then. */
  readonly bufferedBytes: number;
  /** Subscriptions it held. */
  readonly subscriptions: number;
}

export interface SlowConnectionOptions {
  readonly highWaterBytes: number;
  readonly socketStallMs: number;
  readonly closeGraceMs: number;
  readonly log: Logger;
  readonly onTooSlow?: (e: TooSlowConnection) => void;
}

/** graphql-ws's `ctx.subscriptions`: id → the operation's iterator (null while it starts). */
type Subscriptions = Readonly<Record<string, { return?: () => unknown } | null | unknown>>;

interface Connection {
  readonly flow: SocketFlow;
  /** Its subscriptions (graphql-ws's context, once connected). */
  subscriptions: () => Subscriptions;
  closing: boolean;
}

export class SlowConnections {
  private readonly connections = new WeakMap<WebSocket, Connection>();

  constructor(private readonly o: SlowConnectionOptions) {}

  /** A new socket: its writes go through socket-writes.ts. Before graphql-ws sees it. */
  attach(socket: WebSocket): void {
    const flow = socketFlow(socket, {
      highWaterBytes: this.o.highWaterBytes,
      stallMs: this.o.socketStallMs,
      onStall: (buffered) =>
        this.drop(socket, 'socket', new AuditqlError(
          ErrorCode.SUBSCRIBER_TOO_SLOW,
          `this connection read nothing for ${this.o.socketStallMs} ms while ${buffered} bytes waited for it (the limit is ` +
            `${this.o.highWaterBytes}); resubscribe with \`after\` set to the last cursor received to resume without a gap`,
        )),
    });
    this.connections.set(socket, { flow, subscriptions: () => ({}), closing: false });
  }

  /** The connection's gathered `next` messages (socket-writes.ts), for the fan-out. */
  frames(socket: WebSocket): FrameOut | undefined {
    return this.connections.get(socket)?.flow.frames;
  }

  /** Where its subscriptions are (graphql-ws's `ctx.subscriptions`). */
  track(socket: WebSocket, subscriptions: () => Subscriptions): void {
    const c = this.connections.get(socket);
    if (c) c.subscriptions = subscriptions;
  }

  /** Drop `socket` as too slow (once): error messages, close 4429, and the TCP connection after the grace. */
  drop(socket: WebSocket, cause: TooSlowConnection['cause'], error: AuditqlError, firstId?: string): void {
    const c = this.connections.get(socket);
    if (!c || c.closing || socket.readyState !== socket.OPEN) return;
    c.closing = true;
    const subscriptions = c.subscriptions();
    const ids = [...new Set([...(firstId === undefined ? [] : [firstId]), ...Object.keys(subscriptions)])];
    const bufferedBytes = socket.bufferedAmount;
    this.o.log.warn(`graphql-ws: connection dropped as too slow (${cause}; ${ids.length} subscription(s), ${bufferedBytes} bytes queued): ${error.message}`);
    c.flow.hold();
    const payload = [{ message: error.message, extensions: { code: error.code } }];
    for (const id of ids) c.flow.sendNow(stringifyMessage({ id, type: MessageType.Error, payload }));
    socket.close(SubscriptionCloseCode.SubscriberTooSlow, CloseReason.SubscriberTooSlow);
    // End its subscriptions now, not when the close handshake ends: their queues are freed at once, and
    // what graphql-ws sends as they end (`complete`) is discarded by the hold.
    for (const it of Object.values(subscriptions)) {
      const end = (it as { return?: () => unknown } | null)?.return;
      if (typeof end === 'function') void Promise.resolve(end.call(it)).catch(() => {});
    }
    const grace = setTimeout(() => socket.terminate(), this.o.closeGraceMs).unref();
    socket.once('close', () => clearTimeout(grace));
    this.o.onTooSlow?.({ cause, bufferedBytes, subscriptions: ids.length });
  }
}
