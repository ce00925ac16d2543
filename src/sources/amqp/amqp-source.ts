/**
 * An AMQP 0-9-1 queue (RabbitMQ; classic, quorum or stream-less) as a Source, with amqplib
 * (docs/sources/amqp.md). Messages are consumed with manual acknowledgement and at most `prefetch`
 * unacknowledged; a message is acknowledged only after the warehouse committed the batch holding it
 * (`basic.ack` with `multiple` up to the batch's last delivery tag), so a crash or a lost connection leaves
 * it with the broker, which delivers it again; the stored position absorbs the repeat (amqp-position.ts).
 *
 * A lost connection (a broker restart, the network) is waited out: the source reconnects with backoff and
 * consumes again. Acknowledgements for deliveries of an earlier channel are dropped (that channel is gone;
 * the broker requeued its messages).
 */
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Checkpoint, SourceRecord } from '../../contracts/records.js';
import type { Source, SourceLag } from '../../contracts/source.js';
import type { Logger } from '../../log.js';
import { RecordQueue } from '../record-queue.js';
import { messagePosition, queueStream } from './amqp-position.js';

export interface AmqpSourceOptions {
  /** amqp://user:pass@host:5672/vhost (amqps:// for TLS). */
  readonly url: string;
  readonly queue: string;
  /** Unacknowledged messages the broker may send ahead (default 1000). */
  readonly prefetch?: number;
  readonly log: Logger;
}

const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 10_000;

/** The URL without its password, for logs. */
const redact = (url: string) => url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');

function recordOf(queue: string, epoch: number, m: ConsumeMessage): SourceRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.properties.headers ?? {})) if (v !== undefined && v !== null) headers[k] = typeof v === 'string' ? v : JSON.stringify(v);
  if (m.fields.exchange) headers['amqp.exchange'] = m.fields.exchange;
  if (m.fields.routingKey) headers['amqp.routingKey'] = m.fields.routingKey;
  if (m.properties.messageId) headers['amqp.messageId'] = String(m.properties.messageId);
  return {
    position: messagePosition(queue, m.properties.messageId, m.content),
    value: m.content,
    topic: queue,
    ...(typeof m.properties.timestamp === 'number' ? { timestamp: String(m.properties.timestamp * 1000) } : {}),
    headers,
    checkpoint: { stream: queueStream(queue), position: `${epoch}:${m.fields.deliveryTag}` },
  };
}

export function amqpSource(o: AmqpSourceOptions): Source {
  const prefetch = o.prefetch ?? 1000;
  const queue = new RecordQueue<SourceRecord>(prefetch * 2);
  const where = `amqp ${redact(o.url)} queue ${o.queue}`;
  let connection: ChannelModel | null = null;
  let channel: Channel | null = null;
  let consumerTag: string | null = null;
  /** Which channel this is: delivery tags are only meaningful on the channel that gave them. */
  let epoch = 0;
  /** The last delivery tag handed to the pipeline on this channel, and the last acknowledged. */
  let queued = 0;
  let acked = 0;
  let stopping = false;
  let done = false;
  let wake: (() => void) | null = null;

  /** A channel of its own for the lag's passive queue.declare: a failure there must not close the consumer's. */
  let lagChannel: { readonly of: ChannelModel; readonly ch: Promise<Channel> } | null = null;
  const lagChannelOf = (c: ChannelModel): Promise<Channel> => {
    if (lagChannel?.of !== c) {
      const ch = c.createChannel().then((made) => {
        made.on('error', () => {});
        made.on('close', () => { if (lagChannel?.ch === ch) lagChannel = null; });
        return made;
      });
      ch.catch(() => { if (lagChannel?.ch === ch) lagChannel = null; });
      lagChannel = { of: c, ch };
    }
    return lagChannel.ch;
  };

  const closeConnection = async () => {
    const c = connection;
    connection = null;
    channel = null;
    lagChannel = null;
    await c?.close().catch(() => {});
  };

  /** Connect and consume; resolves when the connection is lost (or the source stopped). */
  const session = async (): Promise<void> => {
    const c = await amqp.connect(o.url);
    connection = c;
    const lost = new Promise<void>((resolve) => {
      c.on('close', () => resolve());
      c.on('error', (err: Error) => o.log.warn(`${where}: ${err.message}`));
    });
    const ch = await c.createChannel();
    ch.on('error', (err: Error) => o.log.warn(`${where}: channel: ${err.message}`));
    ch.on('close', () => { if (connection === c && !done) void c.close().catch(() => {}); });
    await ch.checkQueue(o.queue);
    await ch.prefetch(prefetch);
    epoch++;
    queued = 0;
    acked = 0;
    channel = ch;
    const myEpoch = epoch;
    const r = await ch.consume(o.queue, (m) => {
      if (!m) {
        o.log.warn(`${where}: the broker cancelled the consumer (queue deleted?)`);
        void c.close().catch(() => {});
        return;
      }
      // At most `prefetch` unacknowledged per channel; the queue only overflows with the records of a lost
      // channel still in it. Such a delivery goes back to the broker now, before a later `multiple` ack could
      // cover it.
      if (queue.offer(recordOf(o.queue, myEpoch, m))) queued = m.fields.deliveryTag;
      else ch.nack(m, false, true);
    }, { noAck: false });
    consumerTag = r.consumerTag;
    o.log.info(`${where}: consuming (prefetch ${prefetch})`);
    if (stopping) await ch.cancel(r.consumerTag).catch(() => {});
    await lost;
  };

  const run = async () => {
    let backoff = BACKOFF_MIN_MS;
    while (!done && !stopping) {
      const started = Date.now();
      try {
        await session();
      } catch (err) {
        o.log.warn(`${where}: ${(err as Error).message}`);
      }
      connection = null;
      channel = null;
      if (done || stopping) break;
      if (Date.now() - started > 30_000) backoff = BACKOFF_MIN_MS;
      o.log.info(`${where}: connection lost; reconnecting in ${backoff} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoff);
        wake = () => { clearTimeout(t); resolve(); };
      });
      wake = null;
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
    if (!done) queue.close();
  };

  let started = false;
  return {
    description: `amqp ${o.queue}`,
    records() {
      if (!started) {
        started = true;
        void run();
      }
      return queue.drain();
    },
    /** Messages ready in the queue (a passive queue.declare) plus those delivered here and not yet stored. */
    async lag(): Promise<readonly SourceLag[]> {
      const c = connection;
      if (!c || !channel) return [];
      const ok = await (await lagChannelOf(c)).checkQueue(o.queue);
      return [{ stream: queueStream(o.queue), unit: 'records', value: ok.messageCount + Math.max(0, queued - acked) }];
    },
    async acknowledge(checkpoints: readonly Checkpoint[]) {
      const cp = checkpoints.find((c) => c.stream === queueStream(o.queue));
      if (!cp) return;
      const [e, tag] = cp.position.split(':').map(Number) as [number, number];
      const ch = channel;
      if (ch && e === epoch && tag > acked) {
        ch.ack({ fields: { deliveryTag: tag } } as ConsumeMessage, true);
        acked = tag;
      }
      if (stopping && acked >= queued) {
        done = true;
        await closeConnection();
      }
    },
    async stop() {
      stopping = true;
      wake?.();
      if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => {});
      queue.close();
      if (acked >= queued) {
        done = true;
        await closeConnection();
      }
    },
    fail(reason: unknown) {
      done = true;
      queue.fail(reason);
      wake?.();
      void closeConnection();
    },
  };
}
