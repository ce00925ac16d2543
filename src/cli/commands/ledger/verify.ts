/**
 * `auditql verify [--checkpoint FILE]... [--from SEQ] [--public-key FILE.pub]... [--json]`: recompute the
 * log from the warehouse rows and hold it against every signed checkpoint (docs/ledger.md "Verification").
 * Exit 0 only when intact, 1 when anything diverges (each divergence names its seq).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { EnvConfig } from '../../../config/env.js';
import { AuditqlError, ErrorCode } from '../../../errors.js';
import type { Logger } from '../../../log.js';
import { connectWarehouse } from '../../../warehouse/connect.js';
import { verifyLedger } from '../../../warehouse/ledger/verify.js';
import { trustedKeys } from './trusted-keys.js';

export async function verifyCommand(env: EnvConfig, argv: readonly string[], log: Logger): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: [...argv], options: {
      checkpoint: { type: 'string', multiple: true }, from: { type: 'string' }, 'public-key': { type: 'string', multiple: true }, json: { type: 'boolean' },
    } }).values;
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `verify: ${(err as Error).message}`);
  }
  if (v.from !== undefined && !/^[0-9]+$/.test(v.from)) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'verify: --from must be a seq (a whole number)');
  const trusted = trustedKeys(v['public-key'], 'verify');
  const external = (v.checkpoint ?? []).map((f) => {
    try { return readFileSync(f, 'utf8'); } catch { throw new AuditqlError(ErrorCode.BAD_CONFIG, `verify: --checkpoint: cannot read ${f}`); }
  });
  const c = await connectWarehouse(env, { log: log.debug });
  try {
    const total = Number((await c.warehouse.pool.query<{ n: string }>('SELECT tree_size AS n FROM auditql.ledger_state')).rows[0]?.n ?? 0);
    const started = Date.now();
    const tty = process.stderr.isTTY;
    const onProgress = (n: number) => {
      const rate = Math.round(n / Math.max(0.001, (Date.now() - started) / 1000));
      const pct = total ? Math.min(100, Math.floor((n / total) * 100)) : 100;
      const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
      process.stderr.write(`${tty ? '\r' : ''}verify [${bar}] ${pct}% ${n}/${total} leaves, ${rate} rows/s${tty ? '' : '\n'}`);
    };
    const report = await verifyLedger(c.warehouse.pool, {
      trusted, external, ...(v.from !== undefined ? { fromSeq: BigInt(v.from) } : {}), onProgress,
    });
    if (tty && report.treeSize >= 65_536) process.stderr.write('\n');
    const seconds = (Date.now() - started) / 1000;
    if (v.json) process.stdout.write(JSON.stringify({ ...report, seconds }) + '\n');
    else {
      const cp = report.latestCheckpoint;
      log.info(`${report.treeSize} leaves, ${report.rowsChecked} rows recomputed in ${seconds.toFixed(1)} s; ${report.checkpointsVerified} checkpoint(s) verified` +
        (cp ? `, the latest of size ${cp.size} (root ${cp.root})` : '') + (report.unsealed ? `; ${report.unsealed} leaves not covered by a checkpoint yet` : '') +
        (report.retentionEvents ? `; ${report.retentionEvents} retention event(s)` : '') +
        (report.unloggedAccess ? `; ${report.unloggedAccess} API access record(s) not logged yet` : ''));
      for (const d of report.divergences) {
        process.stdout.write(`${d.kind}${d.seq !== null ? ` at seq ${d.seq}` : d.treeSize !== null ? ` at tree size ${d.treeSize}` : ''}: ${d.detail}\n`);
      }
      if (report.divergenceCount > report.divergences.length) process.stdout.write(`… and ${report.divergenceCount - report.divergences.length} more\n`);
      process.stdout.write(report.intact ? 'intact\n' : `NOT intact: ${report.divergenceCount} divergence(s)\n`);
    }
    return report.intact ? 0 : 1;
  } finally {
    await c.close();
  }
}
