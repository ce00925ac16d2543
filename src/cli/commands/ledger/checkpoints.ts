/**
 * `auditql checkpoints export [--after SIZE] [--latest] [--out FILE]`: the signed checkpoints, as C2SP
 * notes separated by a blank line, oldest first (stdout, or FILE), so each digest can be kept outside the
 * warehouse. `--latest`: only the newest one, as one note that `verify --checkpoint` and `verify-proof
 * --checkpoint` read.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { EnvConfig } from '../../../config/env.js';
import { AuditqlError, ErrorCode } from '../../../errors.js';
import type { Logger } from '../../../log.js';
import { connectWarehouse } from '../../../warehouse/connect.js';
import { checkpointsSince, latestCheckpoint } from '../../../warehouse/ledger/proofs.js';

export async function checkpointsCommand(env: EnvConfig, argv: readonly string[], log: Logger): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { after: { type: 'string' }, latest: { type: 'boolean' }, out: { type: 'string' } } });
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `checkpoints: ${(err as Error).message}`);
  }
  if (parsed.positionals.join(' ') !== 'export') throw new AuditqlError(ErrorCode.BAD_CONFIG, 'checkpoints: the subcommand is export');
  const after = Number(parsed.values.after ?? 0);
  if (!Number.isSafeInteger(after) || after < 0) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'checkpoints export: --after must be a tree size');
  const c = await connectWarehouse(env, { log: log.debug });
  try {
    const list = parsed.values.latest ? [await latestCheckpoint(c.warehouse.pool)].filter((x) => x !== null) : await checkpointsSince(c.warehouse.pool, after);
    const text = list.map((x) => x.note).join('\n');
    if (parsed.values.out) writeFileSync(parsed.values.out, text);
    else process.stdout.write(text);
    log.info(`${list.length} checkpoint(s) exported${list.length ? `, the latest of size ${list.at(-1)!.treeSize}` : ''}`);
    return 0;
  } finally {
    await c.close();
  }
}
