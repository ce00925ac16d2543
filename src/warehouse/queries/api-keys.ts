/** The stored API keys (migrations/011_api_security.sql): create, list, revoke, look up, mark used. */
import { sql, type Kysely } from 'kysely';
import type { Warehouse } from '../tables.js';

export interface ApiKeyRow {
  readonly keyId: string;
  readonly name: string;
  readonly role: string;
  readonly secretHash: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

const columns = [
  'key_id as keyId', 'name', 'role', 'secret_hash as secretHash', 'created_at as createdAt', 'last_used_at as lastUsedAt', 'revoked_at as revokedAt',
] as const;

/** Insert a key; false when a live key already has that name. */
export async function insertApiKey(db: Kysely<Warehouse>, k: { keyId: string; name: string; role: string; secretHash: string }): Promise<boolean> {
  const r = await db
    .insertInto('auditql.api_keys')
    .values({ key_id: k.keyId, name: k.name, role: k.role, secret_hash: k.secretHash })
    .onConflict((oc) => oc.column('name').where('revoked_at', 'is', null).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

export function listApiKeys(db: Kysely<Warehouse>): Promise<ApiKeyRow[]> {
  return db.selectFrom('auditql.api_keys').select(columns).orderBy('created_at').orderBy('key_id').execute();
}

export async function apiKeyById(db: Kysely<Warehouse>, keyId: string): Promise<ApiKeyRow | null> {
  return (await db.selectFrom('auditql.api_keys').select(columns).where('key_id', '=', keyId).executeTakeFirst()) ?? null;
}

/** Revoke the live key of this name; false when there is none. */
export async function revokeApiKey(db: Kysely<Warehouse>, name: string): Promise<boolean> {
  const r = await db.updateTable('auditql.api_keys').set({ revoked_at: sql<Date>`now()` }).where('name', '=', name).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Of these key ids, the ones revoked (or gone). */
export async function revokedAmong(db: Kysely<Warehouse>, keyIds: readonly string[]): Promise<Set<string>> {
  if (keyIds.length === 0) return new Set();
  const live = await db.selectFrom('auditql.api_keys').select('key_id').where('key_id', 'in', keyIds).where('revoked_at', 'is', null).execute();
  const liveIds = new Set(live.map((r) => r.key_id));
  return new Set(keyIds.filter((id) => !liveIds.has(id)));
}

/** Record a use, at most once a minute per key (one cheap UPDATE that usually matches nothing). */
export async function markApiKeyUsed(db: Kysely<Warehouse>, keyId: string): Promise<void> {
  await db
    .updateTable('auditql.api_keys')
    .set({ last_used_at: sql<Date>`now()` })
    .where('key_id', '=', keyId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}

/** Is any live key stored? (`serve` refuses to start with no way in.) */
export async function anyLiveApiKey(db: Kysely<Warehouse>): Promise<boolean> {
  const r = await db.selectFrom('auditql.api_keys').select('key_id').where('revoked_at', 'is', null).limit(1).executeTakeFirst();
  return r !== undefined;
}
