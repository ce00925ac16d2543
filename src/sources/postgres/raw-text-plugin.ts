/**
 * pg-logical-replication's pgoutput parser, made to hand over values exactly as PostgreSQL printed them.
 * The library decodes the protocol (Begin, Relation, Insert/Update/Delete, Truncate, Message, Commit …) but
 * passes each column's text through node-postgres' global type parsers, which lose digits (json), precision
 * (timestamps → Date, µs dropped) and the difference between the text and its parse. Right after a Relation
 * message is parsed — before the next message is — each column's parser is replaced by the identity, so
 * tuples carry text, `null` for `n`, and `undefined` for an unchanged TOAST value (`u`).
 * A message the library cannot parse does not throw inside the socket handler: it becomes an `unparsable`
 * message and the session restarts (postgres-source.ts).
 * START_REPLICATION is written here (not by the library) to quote the publication name as an identifier.
 */
import type { Client } from 'pg';
import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';

export type ParsedMessage = Pgoutput.Message | { readonly tag: 'unparsable'; readonly error: Error };

const asText = (raw: unknown) => raw;
const identifier = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

export class RawTextPgoutputPlugin {
  readonly options: Pgoutput.Options;
  private readonly inner: PgoutputPlugin;

  constructor(options: Pgoutput.Options) {
    this.options = options;
    this.inner = new PgoutputPlugin(options);
  }

  get name(): string {
    return 'pgoutput';
  }

  start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    const o = this.options;
    const options = [
      `proto_version ${literal(String(o.protoVersion))}`,
      `publication_names ${literal(o.publicationNames.map(identifier).join(','))}`,
      `messages ${literal(String(o.messages ?? false))}`,
    ];
    return client.query(`START_REPLICATION SLOT ${identifier(slotName)} LOGICAL ${lastLsn} (${options.join(', ')})`);
  }

  parse(buffer: Buffer): ParsedMessage {
    let message: Pgoutput.Message;
    try {
      message = this.inner.parse(buffer);
    } catch (err) {
      return { tag: 'unparsable', error: err instanceof Error ? err : new Error(String(err)) };
    }
    if (message.tag === 'relation') for (const column of message.columns) column.parser = asText;
    return message;
  }
}
