/**
 * Protocol messages of one replication session → auditql pgoutput records (docs/formats/pgoutput.md), one
 * per transaction boundary, row change and logical message, written as they arrive: nothing of a
 * transaction is held back, because Begin already carries what each change needs (xid, commit LSN, commit
 * time).
 *
 * Positions (the sink's idempotency key) are `<commit LSN>:<n>` — the LSN of the transaction's commit record
 * and the record's place in it (Begin 0, then 1, 2, …; Relation/Type/Origin messages are not counted) — and
 * `<LSN>:m` for a non-transactional message. A transaction decoded again after a restart yields the same
 * records in the same order, hence the same positions.
 *
 * Checkpoints ride on the records after which a restart may resume: a Commit (its end LSN: every transaction
 * whose commit record starts before it is complete upstream) and a non-transactional message (its LSN + 1).
 */
import type { Pgoutput } from 'pg-logical-replication';
import type { SourceRecord } from '../../contracts/records.js';
import {
  PGOUTPUT_RECORD_VERSION,
  type BeginRecord, type ChangeOp, type ChangeRecord, type CommitRecord, type MessageRecord,
  type OldKind, type PgRelation, type PgSource, type PgTuple, type PgoutputRecord,
} from '../../decoders/pgoutput/record.js';
import { canonicalLsn, formatLsn, parseLsn } from './lsn.js';

interface OpenTx {
  readonly xid: string;
  readonly commitLsn: string;
  readonly commitTime: string;
  seq: number;
  changes: number;
  readonly collections: Map<string, number>;
}

/** A record and, when it carries one, the LSN a restart may resume from. */
export interface BuiltRecord {
  readonly record: SourceRecord;
  readonly resumeLsn?: bigint;
  /** On a Commit: the transaction's commit time (ms since the epoch), for the slot's lag in seconds. */
  readonly committedAtMs?: number;
}

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const pad3 = (n: number) => String(n).padStart(3, '0');

/** µs since the Unix epoch → ISO-8601 UTC with six fraction digits. */
export function microsToIso(micros: bigint): string {
  let ms = micros / 1000n;
  let rest = micros % 1000n;
  if (rest < 0n) {
    ms -= 1n;
    rest += 1000n;
  }
  return `${new Date(Number(ms)).toISOString().slice(0, -1)}${pad3(Number(rest))}Z`;
}

function tupleOf(t: Record<string, unknown> | null, keyOnly: boolean): { values: PgTuple | null; unchanged: string[] } {
  if (t === null) return { values: null, unchanged: [] };
  const values: Record<string, string | null> = {};
  const unchanged: string[] = [];
  for (const column of Object.keys(t)) {
    const v = t[column];
    if (v === undefined) {
      if (!keyOnly) unchanged.push(column); // `u`: an unchanged TOASTed value, not sent
    } else values[column] = v === null ? null : String(v);
  }
  return { values, unchanged };
}

export class RecordBuilder {
  private readonly relations = new Map<number, PgRelation>();
  private tx: OpenTx | null = null;

  constructor(private readonly source: PgSource, private readonly stream: string) {}

  setRelation(relation: PgRelation): void {
    this.relations.set(relation.oid, relation);
  }

  /** The records one message yields (none for Relation, Type and Origin messages). */
  accept(lsn: string, m: Pgoutput.Message): BuiltRecord[] {
    switch (m.tag) {
      case 'begin':
        return [this.begin(lsn, m)];
      case 'insert':
        return [this.change(lsn, 'insert', m.relation, 'none', null, m.new)];
      case 'update':
        return [m.old
          ? this.change(lsn, 'update', m.relation, 'full', m.old, m.new)
          : this.change(lsn, 'update', m.relation, m.key ? 'key' : 'none', m.key, m.new)];
      case 'delete':
        return [m.old
          ? this.change(lsn, 'delete', m.relation, 'full', m.old, null)
          : this.change(lsn, 'delete', m.relation, m.key ? 'key' : 'none', m.key, null)];
      case 'truncate':
        return m.relations.map((r) => this.change(lsn, 'truncate', r, 'none', null, null, { cascade: m.cascade, restartIdentity: m.restartIdentity }));
      case 'message':
        return [this.message(lsn, m)];
      case 'commit':
        return [this.commit(lsn, m)];
      default:
        return [];
    }
  }

  private built(rec: PgoutputRecord, position: string, resumeLsn?: bigint): BuiltRecord {
    const record: SourceRecord = {
      position,
      value: Buffer.from(JSON.stringify(rec)),
      ...(resumeLsn !== undefined ? { checkpoint: { stream: this.stream, position: formatLsn(resumeLsn) } } : {}),
    };
    return resumeLsn !== undefined ? { record, resumeLsn } : { record };
  }

  private open(what: string): OpenTx {
    if (!this.tx) throw new ProtocolError(`${what} message outside a transaction`);
    return this.tx;
  }

  private txFields(tx: OpenTx) {
    return { xid: tx.xid, commitLsn: tx.commitLsn, commitTime: tx.commitTime, seq: tx.seq };
  }

  private begin(lsn: string, m: Pgoutput.MessageBegin): BuiltRecord {
    if (this.tx) throw new ProtocolError('Begin message inside a transaction');
    if (!m.commitLsn) throw new ProtocolError('Begin message without a final LSN');
    const tx: OpenTx = {
      xid: String(m.xid >>> 0), // the library reads the xid as a signed int32
      commitLsn: canonicalLsn(m.commitLsn),
      commitTime: microsToIso(m.commitTime as bigint),
      seq: 0,
      changes: 0,
      collections: new Map(),
    };
    this.tx = tx;
    const rec: BeginRecord = { v: PGOUTPUT_RECORD_VERSION, kind: 'begin', source: this.source, lsn: canonicalLsn(lsn), ...this.txFields(tx) };
    return this.built(rec, `${tx.commitLsn}:0`);
  }

  private change(
    lsn: string,
    op: ChangeOp,
    rel: Pgoutput.MessageRelation,
    oldKind: OldKind,
    oldTuple: Record<string, unknown> | null,
    newTuple: Record<string, unknown> | null,
    truncate?: { cascade: boolean; restartIdentity: boolean },
  ): BuiltRecord {
    const tx = this.open(op);
    const relation = this.relations.get(rel.relationOid);
    if (!relation) throw new ProtocolError(`${op} of relation ${rel.relationOid} before its Relation message`);
    tx.seq++;
    tx.changes++;
    const table = `${relation.schema}.${relation.table}`;
    tx.collections.set(table, (tx.collections.get(table) ?? 0) + 1);
    const old = tupleOf(oldTuple, oldKind === 'key');
    const neu = tupleOf(newTuple, false);
    const rec: ChangeRecord = {
      v: PGOUTPUT_RECORD_VERSION,
      kind: 'change',
      source: this.source,
      lsn: canonicalLsn(lsn),
      ...this.txFields(tx),
      op,
      relation,
      oldKind,
      old: old.values,
      new: neu.values,
      oldUnchanged: old.unchanged,
      newUnchanged: neu.unchanged,
      ...(truncate ? { truncate } : {}),
    };
    return this.built(rec, `${tx.commitLsn}:${tx.seq}`);
  }

  private message(lsn: string, m: Pgoutput.MessageMessage): BuiltRecord {
    const bytes = Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength);
    const text = bytes.toString('utf8');
    const content = Buffer.from(text, 'utf8').equals(bytes) ? { content: text } : { contentBase64: bytes.toString('base64') };
    const messageLsn = canonicalLsn(m.messageLsn ?? lsn);
    if (m.transactional) {
      const tx = this.open('transactional Message');
      tx.seq++;
      const rec: MessageRecord = {
        v: PGOUTPUT_RECORD_VERSION, kind: 'message', source: this.source, lsn: messageLsn, transactional: true,
        ...this.txFields(tx), prefix: m.prefix, ...content,
      };
      return this.built(rec, `${tx.commitLsn}:${tx.seq}`);
    }
    const rec: MessageRecord = {
      v: PGOUTPUT_RECORD_VERSION, kind: 'message', source: this.source, lsn: messageLsn, transactional: false,
      xid: null, commitLsn: null, commitTime: null, seq: null, prefix: m.prefix, ...content,
    };
    return this.built(rec, `${messageLsn}:m`, parseLsn(messageLsn) + 1n);
  }

  private commit(lsn: string, m: Pgoutput.MessageCommit): BuiltRecord {
    const tx = this.open('Commit');
    if (!m.commitEndLsn) throw new ProtocolError('Commit message without an end LSN');
    tx.seq++;
    this.tx = null;
    const endLsn = canonicalLsn(m.commitEndLsn);
    const rec: CommitRecord = {
      v: PGOUTPUT_RECORD_VERSION,
      kind: 'commit',
      source: this.source,
      lsn: canonicalLsn(lsn),
      ...this.txFields(tx),
      endLsn,
      changes: tx.changes,
      dataCollections: [...tx.collections].map(([dataCollection, eventCount]) => ({ dataCollection, eventCount })),
    };
    return { ...this.built(rec, `${tx.commitLsn}:${tx.seq}`, parseLsn(endLsn)), committedAtMs: Date.parse(tx.commitTime) };
  }
}
