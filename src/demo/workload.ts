/**
 * The demo's live workload: every ~`intervalMs` one transaction, as one of several database users.
 * - shop_web (application shop-web): customers change their profile and place orders — each transaction
 *   first calls `auditql.set_actor(user, context)` (installed by `auditql install-source`), so attribution
 *   can name the end user.
 * - bob (nightly-pricing): reprices products — no application context: only the database knows.
 * - carol (psql): a DBA fixing order statuses by hand, deleting abandoned orders, and rebuilding her
 *   report table of stuck orders (DDL, in her own schema).
 * - now and then the pricing job tries to log in with a stale password: a failed login in the server log.
 */
import pg from 'pg';
import type { Logger } from '../log.js';
import { DEMO_OPS_SCHEMA, DEMO_ROLES } from './shop-schema.js';
import type { DemoSource } from './demo-source.js';

const APP_USERS = ['alice@example.com', 'dave@example.com', 'erin@example.com'];
const TIERS = ['standard', 'gold', 'platinum'];

type Step = (c: pg.PoolClient, n: number) => Promise<void>;

const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]!;
const customerId = (n: number) => 1001 + ((n * 7) % 20);

async function withContext(c: pg.PoolClient, n: number): Promise<string> {
  const user = pick(APP_USERS, n);
  await c.query('SELECT auditql.set_actor($1, $2)', [user, { requestId: `req-${n}`, route: 'POST /account' }]);
  return user;
}

const webProfile: Step = async (c, n) => {
  const user = await withContext(c, n);
  await c.query(
    `UPDATE customers SET email = $2, tier = $3, updated_at = now() WHERE id = $1`,
    [customerId(n), `${user.split('@')[0]}+${n}@example.com`, pick(TIERS, n >> 1)],
  );
};

const webOrder: Step = async (c, n) => {
  await withContext(c, n);
  const id = (await c.query<{ id: string }>(`SELECT nextval('order_ids')::text AS id`)).rows[0]!.id;
  await c.query(`INSERT INTO orders (id, customer_id, status) VALUES ($1, $2, 'new')`, [id, customerId(n)]);
  const lines = 1 + (n % 3);
  for (let i = 1; i <= lines; i++) {
    await c.query(
      `INSERT INTO order_lines (order_id, line_no, sku, qty, unit_price)
       SELECT $1, $2, sku, $3, price FROM products WHERE sku = $4`,
      [id, i, 1 + ((n + i) % 4), `SKU-${String(1 + ((n + i) % 12)).padStart(3, '0')}`],
    );
  }
  // One order in three is abandoned at checkout: it stays 'new' until the DBA cleans it up (a DELETE).
  if (n % 3 === 0) return;
  await c.query(`UPDATE orders SET total = (SELECT coalesce(sum(qty * unit_price), 0) FROM order_lines WHERE order_id = $1), status = 'paid' WHERE id = $1`, [id]);
};

const pricing: Step = async (c, n) => {
  await c.query(
    `UPDATE products SET price = round(price * $2, 2), stock = stock + $3, updated_at = now() WHERE sku = $1`,
    [`SKU-${String(1 + (n % 12)).padStart(3, '0')}`, n % 2 ? 1.05 : 0.97, (n % 5) - 2],
  );
};

const dba: Step = async (c) => {
  const r = await c.query(`UPDATE orders SET status = 'shipped' WHERE id = (SELECT id FROM orders WHERE status = 'paid' ORDER BY id LIMIT 1)`);
  if (r.rowCount !== 0) await c.query(`DELETE FROM orders WHERE id = (SELECT id FROM orders WHERE status = 'new' ORDER BY id LIMIT 1)`);
  await c.query(`DROP TABLE IF EXISTS ${DEMO_OPS_SCHEMA}.stuck_orders`);
  await c.query(`CREATE TABLE ${DEMO_OPS_SCHEMA}.stuck_orders AS SELECT id, customer_id, created_at FROM orders WHERE status = 'new'`);
};

/** A login with a wrong password: refused by the server (SQLSTATE 28P01), which logs it. */
async function failedLogin(url: string, application: string, log: Logger): Promise<void> {
  const u = new URL(url);
  u.password = 'stale-password';
  const c = new pg.Client({ connectionString: u.toString(), application_name: application });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.end();
    log.warn('demo workload: a login with a wrong password was accepted');
  } catch (err) {
    if ((err as { code?: string }).code !== '28P01') log.debug(`demo workload: failed login: ${(err as Error).message}`);
  }
}

/** Every this many ticks (and on the first), the pricing job's failed login. */
const FAILED_LOGIN_EVERY = 15;

const SCHEDULE: readonly [keyof typeof DEMO_ROLES, Step][] = [
  ['web', webProfile], ['web', webOrder], ['pricing', pricing], ['web', webOrder], ['web', webProfile], ['dba', dba],
];

export interface Workload {
  stop(): Promise<void>;
}

export function startWorkload(source: DemoSource, log: Logger, intervalMs = 800): Workload {
  const pools = Object.fromEntries(
    Object.entries(source.roleUrls).map(([k, url]) => [k, new pg.Pool({ connectionString: url, max: 2, application_name: DEMO_ROLES[k as keyof typeof DEMO_ROLES].application })]),
  ) as Record<keyof typeof DEMO_ROLES, pg.Pool>;
  for (const p of Object.values(pools)) {
    p.on('error', () => {});
    p.on('connect', (client) => client.on('error', () => {})); // the step in progress fails and is logged
  }
  let n = Math.floor(Date.now() / 1000) % 10_000; // vary the story across restarts
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let ticks = 0;
  const tick = async () => {
    if (ticks++ % FAILED_LOGIN_EVERY === 0) await failedLogin(source.roleUrls.pricing, DEMO_ROLES.pricing.application, log);
    const [who, step] = SCHEDULE[n % SCHEDULE.length]!;
    const c = await pools[who].connect();
    try {
      await c.query('BEGIN');
      await step(c, n);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      log.debug(`demo workload step failed: ${(err as Error).message}`);
    } finally {
      c.release();
      n++;
    }
  };
  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(tick);
  }, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await Promise.all(Object.values(pools).map((p) => p.end()));
    },
  };
}
