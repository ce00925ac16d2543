/**
 * Periodic warehouse upkeep for long-running processes: partitions for the coming days, (when a retention
 * is configured) dropping the partitions that fell out of it, and (TimescaleDB path, when configured)
 * compressing old chunks. Runs at start, then twice a day.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import { PartitionManager } from './partitions.js';
import type { RetentionSigner } from './ledger/retention-event.js';

/** `ledger`: sign a retention event for each dropped partition (docs/ledger.md "Retention"). */
export function startMaintenance(
  pool: pg.Pool,
  o: { retentionDays: number | null; compressAfterDays?: number | null; log: Logger; everyMs?: number; ledger?: RetentionSigner | null },
): () => void {
  const pm = new PartitionManager(pool);
  const run = async () => {
    try {
      await pm.createAhead();
      if (o.retentionDays !== null) {
        const dropped = await pm.dropOlderThan(o.retentionDays, new Date(), o.ledger ?? null);
        if (dropped.length) o.log.info(`retention: dropped ${dropped.join(', ')}`);
      }
      if (o.compressAfterDays != null) {
        const compressed = await pm.compressOlderThan(o.compressAfterDays);
        if (compressed.length) o.log.info(`compression: compressed ${compressed.join(', ')}`);
      }
    } catch (err) {
      o.log.warn(`warehouse maintenance failed (will retry): ${(err as Error).message}`);
    }
  };
  void run();
  const timer = setInterval(run, o.everyMs ?? 12 * 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
