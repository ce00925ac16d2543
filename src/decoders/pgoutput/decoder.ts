/**
 * The pgoutput decoder (docs/formats/pgoutput.md): one auditql pgoutput record — what the built-in
 * PostgreSQL source writes per logical replication message — → normalized events:
 * - `begin` / `commit` → a `transaction` event (BEGIN / END);
 * - `change` → a `change` (row-change.ts);
 * - `message` → a `context` event, or a counted skip (message.ts).
 * Pure: no I/O. A record that is not the documented shape → DecodeError naming the field, never a value.
 */
import { emit, type DecodeResult, type Decoder } from '../decoder.js';
import { logicalMessage } from './message.js';
import { looksLikePgoutputRecord, readPgoutputRecord } from './record.js';
import { rowChange } from './row-change.js';
import { transactionBoundary } from './transaction.js';

export const pgoutputDecoder: Decoder = {
  format: 'pgoutput',
  recognizes: looksLikePgoutputRecord,
  decode(record, ctx): DecodeResult {
    if (record.value === null) return { events: [], skipped: 'TOMBSTONE' };
    const rec = readPgoutputRecord(record.value);
    switch (rec.kind) {
      case 'begin':
      case 'commit':
        return emit(transactionBoundary(rec, record));
      case 'change':
        return emit(rowChange(rec, record, ctx));
      case 'message':
        return logicalMessage(rec, record, ctx);
    }
  },
};
