/** `auditql retention --keep-days N`: drop daily partitions older than N days (docs/warehouse.md "Partitions and retention"). */
import { parseArgs } from 'node:util';
import type { EnvConfig } from '../../config/env.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { connectWarehouse } from '../../warehouse/connect.js';
import { PartitionManager } from '../../warehouse/partitions.js';
import { retentionSigner } from '../../config/ledger.js';

export function parseKeepDays(raw: string | undefined, name: string): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < 1) throw new AuditqlError(ErrorCode.BAD_CONFIG, `${name} must be a whole number of days ≥ 1`);
  return n;
}

export async function retentionCommand(env: EnvConfig, argv: readonly string[], log: Logger): Promise<number> {
  let keep: string | undefined;
  try {
    keep = parseArgs({ args: [...argv], options: { 'keep-days': { type: 'string' } } }).values['keep-days'];
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `retention: ${(err as Error).message}`);
  }
  const days = parseKeepDays(keep, 'retention: --keep-days');
  const c = await connectWarehouse(env, { log: log.info });
  try {
    const pm = new PartitionManager(c.warehouse.pool);
    await pm.createAhead();
    const ledger = retentionSigner();
    if (!ledger) log.warn('no AUDITQL_SIGNING_KEY: the partitions are dropped without a signed retention event, and auditql verify will report their rows missing');
    const dropped = await pm.dropOlderThan(days, new Date(), ledger);
    log.info(dropped.length ? `dropped ${dropped.length} partition(s): ${dropped.join(', ')}` : `no partition is older than ${days} days`);
    return 0;
  } finally {
    await c.close();
  }
}
