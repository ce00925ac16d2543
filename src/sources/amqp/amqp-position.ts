/**
 * Where an AMQP message is in the warehouse (docs/sources/amqp.md "Positions"): the broker gives a message
 * no stable identity of its own (delivery tags count per channel), so a redelivery is recognised by the
 * publisher's `message-id` when set, else by the SHA-256 of its body.
 */
import { createHash } from 'node:crypto';

export function messagePosition(queue: string, messageId: unknown, content: Buffer): string {
  if (typeof messageId === 'string' && messageId !== '') return `amqp:${queue}/id:${messageId}`;
  return `amqp:${queue}/sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** The checkpoint stream of a queue; its position is `<channel>:<delivery tag>`, what the source acknowledges up to. */
export const queueStream = (queue: string) => `amqp:${queue}`;
