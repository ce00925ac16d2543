/**
 * The client side of subscription tests: graphql-ws's own `createClient` over `ws`, no retries, recording
 * how the socket closed and what each subscription received.
 */
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { until } from './until.js';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface Sub<T> {
  readonly results: ExecutionResult<T>[];
  readonly errors: unknown[];
  completed: boolean;
  dispose(): void;
}

export interface ConnectOptions {
  readonly connectionParams?: Record<string, unknown>;
  /** A `ws` WebSocket subclass, to play a misbehaving client (default: `ws` itself). */
  readonly webSocketImpl?: unknown;
}

/** A client of the server at `httpUrl` (its ws:// twin); `closed` collects every close event. */
export function connect(httpUrl: string, o: ConnectOptions = {}): { client: Client; closed: Closed[] } {
  const closed: Closed[] = [];
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: o.webSocketImpl ?? WebSocket,
    retryAttempts: 0,
    ...(o.connectionParams ? { connectionParams: o.connectionParams } : {}),
    on: { closed: (e) => void closed.push({ code: (e as Closed).code, reason: String((e as Closed).reason) }) },
  });
  return { client, closed };
}

export function subscribe<T>(client: Client, query: string, variables?: Record<string, unknown>): Sub<T> {
  const s: Sub<T> = { results: [], errors: [], completed: false, dispose: () => {} };
  s.dispose = client.subscribe<T>(
    { query, ...(variables ? { variables } : {}) },
    { next: (r) => void s.results.push(r as ExecutionResult<T>), error: (e) => void s.errors.push(e), complete: () => void (s.completed = true) },
  );
  return s;
}

export interface WsMessage {
  readonly id?: string;
  readonly type: string;
  readonly payload?: unknown;
}

/** A graphql-transport-ws client on a plain `ws` socket, whose reading can be paused. */
export async function rawSubscriber(httpUrl: string, query: string) {
  const socket = new WebSocket(httpUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: WsMessage[] = [];
  let closed: { code: number; reason: string } | null = null;
  socket.on('message', (data) => void messages.push(JSON.parse(String(data)) as WsMessage));
  socket.on('close', (code, reason) => void (closed = { code, reason: String(reason) }));
  await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await until('connection_ack', () => messages.some((m) => m.type === 'connection_ack'));
  socket.send(JSON.stringify({ id: 'slow', type: 'subscribe', payload: { query } }));
  return {
    socket,
    messages,
    closed: () => closed,
    cursors: () => messages.filter((m) => m.type === 'next').map((m) => (m.payload as { data: { changeAdded: { cursor: string } } }).data.changeAdded.cursor),
  };
}
