/**
 * The decoder contract: a pure function from one raw record to normalized events. No I/O, no database,
 * no Kafka. (DAS decryption needs a data key: it comes from ctx.keyProvider, injected, so tests stay local.)
 */
import type { AuditEvent, SourceFormat } from '../model/events.js';
import type { KeyColumns } from '../model/row-key.js';
import type { RawRecord } from '../contracts/records.js';
import type { LogFramer } from '../contracts/source.js';
import type { CompiledMapping } from './mapped/compile-mapping.js';

export type { RawRecord } from '../contracts/records.js';
export type { LogFramer } from '../contracts/source.js';

export type SkipReason =
  | 'TOMBSTONE' | 'HEARTBEAT' | 'NOT_AUDIT' | 'MARKER' | 'EMPTY' | 'NON_TRANSACTIONAL_MESSAGE'
  // --format mapped: dropped by a declared filter (its reason), or matching no event type with `unmatched: skip`
  | `FILTERED:${string}` | 'UNMATCHED';

/** A decoded record: zero or more events, or a reason it was deliberately skipped (counted, not stored). */
export interface DecodeResult {
  readonly events: readonly AuditEvent[];
  readonly skipped?: SkipReason;
}

/** Resolves an encrypted data key (DAS: KMS Decrypt with the cluster's encryption context). */
export type DataKeyProvider = (encryptedKey: Buffer, encryptionContext: Readonly<Record<string, string>>) => Promise<Buffer>;

export interface DecodeContext {
  /** `--key`: which columns identify a row of a table, when the record does not say. */
  readonly keyColumns: KeyColumns;
  /** Logical message prefix carrying application context (default `auditql`). */
  readonly contextPrefix: string;
  /** DAS: turns the record's encrypted data key into the AES data key. Absent → records are dead-lettered. */
  readonly keyProvider?: DataKeyProvider;
  /** DAS: the cluster (or instance) resource id for the KMS encryption context, when known. */
  readonly dasResourceId?: string;
  /** Maxwell `encrypt=data|all`: the shared key. */
  readonly maxwellKey?: string;
  /** pgAudit stderr logs: the server's log_line_prefix. */
  readonly logLinePrefix?: string;
  /** pgAudit logs (`--server-log`): also the server's own statement, connection and error messages. */
  readonly serverLog?: boolean;
  /** `--format mapped`: the mapping file, compiled once at start (src/decoders/mapped/compile-mapping.ts). */
  readonly mapping?: CompiledMapping;
  /**
   * `--server`: the logical server every event of this source is from, so evidence from different sources
   * about one database server can meet (attribution joins on it). Decoders ignore it: the pipeline sets it
   * on their events (src/ingest/server-identity.ts).
   */
  readonly server?: string;
}

export interface Decoder {
  /** The format this decoder reads; `auto` for the detecting decoder (src/decoders/auto.ts). */
  readonly format: SourceFormat | 'auto';
  /** For `--format auto`: does this parsed JSON value look like this format? (Log lines: see createLogFramer.) */
  recognizes(value: unknown): boolean;
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult | Promise<DecodeResult>;
  /** Formats read from text logs frame them here; the file source uses it when a file is not JSON. */
  createLogFramer?(ctx: DecodeContext): LogFramer;
  /** For `--format auto`, formats read from text logs: is this framed, non-JSON record one of theirs? */
  recognizesText?(text: string, ctx: DecodeContext): boolean;
}

export const skip = (skipped: SkipReason): DecodeResult => ({ events: [], skipped });
export const emit = (...events: AuditEvent[]): DecodeResult => ({ events });

/** The decoder's log framer as a factory a transport can call without knowing the format (null: JSON only). */
export const logFramerOf = (decoder: Pick<Decoder, 'createLogFramer'> | null, ctx: DecodeContext): (() => LogFramer) | null =>
  decoder?.createLogFramer ? () => decoder.createLogFramer!(ctx) : null;
