import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import { connectWarehouse } from '../../warehouse/connect.js';

export async function migrateCommand(env: EnvConfig, log: Logger): Promise<number> {
  const c = await connectWarehouse(env, { log: log.info });
  try {
    const { applied, timescaledb } = c.migrated;
    log.info(applied.length ? `applied ${applied.join(', ')}` : 'warehouse schema is up to date');
    log.info(`partitioning: ${timescaledb ? 'TimescaleDB hypertables' : 'PostgreSQL daily range partitions'}`);
    return 0;
  } finally {
    await c.close();
  }
}
