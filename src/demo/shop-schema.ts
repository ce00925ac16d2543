/**
 * The demo source database of `npm start` (docs/architecture.md "Running it"): a small shop whose rows change as
 * several database users, captured through logical replication. Idempotent: safe on every start.
 */
export const DEMO_DATABASE = 'auditql_demo_shop';
export const DEMO_PUBLICATION = 'auditql_demo';
export const DEMO_SLOT = 'auditql_demo';
export const DEMO_PASSWORD = 'demo';
/** carol's schema: her maintenance step rebuilds a table there (real DDL, outside the published tables). */
export const DEMO_OPS_SCHEMA = 'ops';

/** Database users of the demo workload: who they are, what application they connect with. */
export const DEMO_ROLES = {
  web: { role: 'shop_web', application: 'shop-web' },
  pricing: { role: 'bob', application: 'nightly-pricing' },
  dba: { role: 'carol', application: 'psql' },
} as const;

export const SHOP_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS public.customers (
  id          integer PRIMARY KEY,
  email       text NOT NULL,
  name        text NOT NULL,
  tier        text NOT NULL DEFAULT 'standard',
  credit_limit numeric(12,2) NOT NULL DEFAULT 1000,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS public.products (
  sku         text PRIMARY KEY,
  title       text NOT NULL,
  price       numeric(10,2) NOT NULL,
  stock       integer NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS public.orders (
  id          bigint PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES public.customers(id),
  status      text NOT NULL,
  total       numeric(12,2) NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- a composite key: auditql never assumes a column called id
CREATE TABLE IF NOT EXISTS public.order_lines (
  order_id    bigint NOT NULL REFERENCES public.orders(id) ON DELETE CASCADE,
  line_no     integer NOT NULL,
  sku         text NOT NULL REFERENCES public.products(sku),
  qty         integer NOT NULL,
  unit_price  numeric(10,2) NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE SEQUENCE IF NOT EXISTS public.order_ids START 50001;
-- full before images, so every update shows old → new for every field
ALTER TABLE public.customers REPLICA IDENTITY FULL;
ALTER TABLE public.products REPLICA IDENTITY FULL;
ALTER TABLE public.orders REPLICA IDENTITY FULL;
ALTER TABLE public.order_lines REPLICA IDENTITY FULL;
`;

export const SEED_SQL = `
INSERT INTO public.customers (id, email, name, tier, credit_limit)
SELECT 1000 + i, 'customer' || (1000 + i) || '@example.com', (ARRAY['Ada','Grace','Linus','Barbara','Ken','Margaret','Dennis','Frances','Edsger','Radia'])[1 + i % 10] || ' ' || (1000 + i),
       CASE WHEN i % 4 = 0 THEN 'gold' ELSE 'standard' END, 500 + 250 * (i % 8)
FROM generate_series(1, 20) AS i
ON CONFLICT DO NOTHING;
INSERT INTO public.products (sku, title, price, stock)
SELECT 'SKU-' || lpad(i::text, 3, '0'), (ARRAY['Espresso beans','Pour-over kettle','Ceramic mug','Grinder','Filter papers','Scale'])[1 + i % 6] || ' #' || i,
       round((5 + i * 3.7)::numeric, 2), 20 + i * 5
FROM generate_series(1, 12) AS i
ON CONFLICT DO NOTHING;
`;
