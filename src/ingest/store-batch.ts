/**
 * Writing one batch of units to the sink, so that nothing in it is lost and nothing in it blocks the stream
 * (docs/architecture.md "Record isolation"):
 * - a transient warehouse error (connection lost, server restarting, serialization failure) is waited out
 *   with capped, jittered backoff for as long as the outage policy allows (src/retry-policy.ts);
 * - an error tied to the batch's data (SQLSTATE classes 22 data exception, 23 integrity, 54 program limit,
 *   or a value the COPY encoder cannot write) splits the batch in halves, each written on its own, until the
 *   records the warehouse refuses are alone: each is then dead-lettered with its raw bytes and
 *   `AUDITQL_UNSTORABLE_RECORD`, and the rest commits. Checkpoints and the delivery id travel with the last
 *   piece, so a crash between pieces re-reads the batch and the stored pieces count as duplicates.
 */
import type { Batch, BatchResult } from '../contracts/batch.js';
import type { Checkpoint } from '../contracts/records.js';
import type { Sink } from '../contracts/sink.js';
import { ErrorCode } from '../errors.js';
import { waitOut, type OutagePolicy } from '../retry-policy.js';
import { batchOf, deadLetterOf, type Unit } from './unit.js';

export interface StoreOptions {
  readonly source: string;
  readonly sink: Sink;
  /** How long a warehouse outage is waited out before the write fails. */
  readonly outage: OutagePolicy;
  /** Stop waiting out an outage (the process is shutting down). */
  readonly signal?: AbortSignal;
  readonly log?: (message: string) => void;
}

/** What the warehouse refuses because of the values themselves: worth isolating, never worth retrying. */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code)) return true;
  // COPY text encoding of a value JavaScript cannot represent (an invalid Date, a BigInt of a non-integer).
  return err instanceof RangeError;
}

/** A dead letter's message for a refused record: the condition only, never the server's text (it can quote values). */
const refusal = (err: unknown): string => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string'
    ? `the warehouse refused this record's values (SQLSTATE ${code})`
    : `this record's values cannot be written to the warehouse (${(err as Error).name})`;
};

const ZERO: BatchResult = { stored: 0, duplicates: 0, deadLettered: 0, duplicateDelivery: false, seqs: { change: [], activity: [], context: [] } };

function add(a: BatchResult, b: BatchResult): BatchResult {
  return {
    stored: a.stored + b.stored,
    duplicates: a.duplicates + b.duplicates,
    deadLettered: a.deadLettered + b.deadLettered,
    duplicateDelivery: a.duplicateDelivery || b.duplicateDelivery,
    seqs: {
      change: [...a.seqs.change, ...b.seqs.change],
      activity: [...a.seqs.activity, ...b.seqs.activity],
      context: [...a.seqs.context, ...b.seqs.context],
    },
  };
}

/** One sink write, an outage waited out. The sink is idempotent: a batch whose commit was lost with the connection is absorbed when retried. */
const writeRetrying = (o: StoreOptions, batch: Batch): Promise<BatchResult> =>
  waitOut(() => o.sink.write(batch), { what: 'the warehouse', policy: o.outage, ...(o.log ? { log: o.log } : {}), ...(o.signal ? { signal: o.signal } : {}) });

export interface StoreOutcome extends BatchResult {
  /** Records the warehouse refused, dead-lettered as AUDITQL_UNSTORABLE_RECORD. */
  readonly refused: number;
}

/** Dead letters already stored for the source (a redelivery) are absorbed by their unique key: duplicates too. */
const withDeadLetterDuplicates = (r: BatchResult, deadLettersSent: number): BatchResult =>
  ({ ...r, duplicates: r.duplicates + Math.max(0, deadLettersSent - r.deadLettered) });

export async function storeUnits(
  o: StoreOptions,
  units: readonly Unit[],
  checkpoints: readonly Checkpoint[],
  delivery?: Batch['delivery'],
): Promise<StoreOutcome> {
  let refused = 0;
  const store = async (part: readonly Unit[], cps: readonly Checkpoint[], d: Batch['delivery'] | undefined): Promise<BatchResult> => {
    try {
      return withDeadLetterDuplicates(await writeRetrying(o, batchOf(o.source, part, cps, d)), part.filter((u) => u.dead).length);
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (part.length === 1 && !part[0]!.dead) {
        const u = part[0]!;
        refused++;
        o.log?.(`record ${JSON.stringify(u.record.position.slice(0, 200))} refused by the warehouse (${refusal(err)}); dead-lettered`);
        const dead = deadLetterOf(u.record, u.format, ErrorCode.UNSTORABLE_RECORD, refusal(err));
        return withDeadLetterDuplicates(await writeRetrying(o, batchOf(o.source, [{ ...u, events: [], dead }], cps, d)), 1);
      }
      if (part.length === 1) throw err; // a dead letter itself refused: not isolatable further
      const mid = part.length >> 1;
      const first = await store(part.slice(0, mid), [], undefined);
      return add(first, await store(part.slice(mid), cps, d));
    }
  };
  const r = units.length === 0 && checkpoints.length === 0 && !delivery ? ZERO : await store(units, checkpoints, delivery);
  return { ...r, refused };
}
