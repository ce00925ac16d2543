/**
 * Creates (or reuses) the demo shop database in the embedded PostgreSQL: roles, tables, seed rows and the
 * publication the built-in capture reads. Returns the URLs the capture and the workload connect with.
 */
import pg from 'pg';
import { ensureDatabase } from '../warehouse/connect.js';
import { installSetActor } from '../sources/postgres/set-actor.js';
import { installDbContext } from '../sources/postgres/db-context.js';
import { DEMO_DATABASE, DEMO_OPS_SCHEMA, DEMO_PASSWORD, DEMO_PUBLICATION, DEMO_ROLES, DEMO_SLOT, SEED_SQL, SHOP_SCHEMA_SQL } from './shop-schema.js';

export interface DemoSource {
  /** The capture connects as the embedded superuser. */
  readonly captureUrl: string;
  /** One URL per demo role (the workload's database users). */
  readonly roleUrls: Readonly<Record<keyof typeof DEMO_ROLES, string>>;
}

function withDatabase(url: string, database: string, user?: string, password?: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  if (user) { u.username = user; u.password = password ?? ''; }
  return u.toString();
}

export async function ensureDemoSource(adminUrl: string): Promise<DemoSource> {
  await ensureDatabase(adminUrl, DEMO_DATABASE);
  const captureUrl = withDatabase(adminUrl, DEMO_DATABASE);
  const c = new pg.Client({ connectionString: captureUrl });
  c.on('error', () => {}); // a lost connection fails the query in progress, which reports it
  await c.connect();
  try {
    await c.query('SELECT pg_advisory_lock(7411100)');
    await c.query(SHOP_SCHEMA_SQL);
    for (const { role } of Object.values(DEMO_ROLES)) {
      const exists = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0) await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${DEMO_PASSWORD}'`);
    }
    await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${Object.values(DEMO_ROLES).map((r) => r.role).join(', ')}`);
    await c.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${DEMO_ROLES.web.role}`);
    // The DBA's own schema, for the DDL of her maintenance step (not published: only its statements are seen).
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${DEMO_OPS_SCHEMA} AUTHORIZATION ${DEMO_ROLES.dba.role}`);
    // The server logs every data-modifying and DDL statement of this database (the demo's activity stream,
    // demo-activity.ts); other databases of the embedded server, the warehouse's included, are not logged.
    await c.query(`ALTER DATABASE ${DEMO_DATABASE} SET log_statement = 'mod'`);
    const pub = await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [DEMO_PUBLICATION]);
    if (pub.rowCount === 0) {
      await c.query(`CREATE PUBLICATION ${DEMO_PUBLICATION} FOR TABLE public.customers, public.products, public.orders, public.order_lines`);
    }
    // The slot exists before the seed rows are written, so their INSERTs are captured: history from the start.
    const slot = await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [DEMO_SLOT]);
    if (slot.rowCount === 0) await c.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [DEMO_SLOT]);
    // The trigger that names the database user of every transaction (docs/attribution.md), before the seed
    // rows, so even they say who wrote them.
    await installDbContext(captureUrl, DEMO_PUBLICATION);
    await c.query(SEED_SQL);
  } finally {
    await c.query('SELECT pg_advisory_unlock(7411100)').catch(() => {});
    await c.end();
  }
  // the application-context helper every shop_web transaction calls (docs/attribution.md)
  await installSetActor(captureUrl);
  const roleUrls = Object.fromEntries(
    Object.entries(DEMO_ROLES).map(([k, r]) => [k, withDatabase(adminUrl, DEMO_DATABASE, r.role, DEMO_PASSWORD)]),
  ) as Record<keyof typeof DEMO_ROLES, string>;
  return { captureUrl, roleUrls };
}
