/**
 * The evidence rules of attribution (docs/attribution.md "Evidence, strongest first"), strongest first. Each
 * piece of evidence is one append-only row of `auditql.attributions`; the best one wins at read time and
 * every row stays as the record of where an answer came from.
 */

export const Evidence = {
  /** A transactional logical message with the context prefix in the same transaction: the application user. */
  APP_CONTEXT: 'APP_CONTEXT',
  /**
   * The source's own database-user context message (the `install-source --db-context` trigger) in the same
   * transaction: the database user, client address and application, written by the database itself.
   */
  DB_CONTEXT: 'DB_CONTEXT',
  /** An activity event with the same transaction id on the same server: the database user. */
  ACTIVITY_TX: 'ACTIVITY_TX',
  /** An activity event of the same connection, on the changed table, within the session window. */
  ACTIVITY_SESSION: 'ACTIVITY_SESSION',
  /** A user field the change itself carries. */
  SOURCE: 'SOURCE',
} as const;
export type Evidence = (typeof Evidence)[keyof typeof Evidence];

/** `content.source` of the trigger's message (sql/source/db_context.sql): what makes a context DB_CONTEXT evidence. */
export const DB_CONTEXT_SOURCE = 'auditql-db-context';

/** Strongest first: the order readers rank evidence in (src/warehouse/queries/attributions.ts). */
export const EVIDENCE_ORDER: readonly Evidence[] = ['APP_CONTEXT', 'DB_CONTEXT', 'ACTIVITY_TX', 'ACTIVITY_SESSION', 'SOURCE'];

export const Confidence = {
  /** The evidence names this change's transaction (or the change names its user). */
  EXACT: 'EXACT',
  /** Correlated by connection and time: usually right, never certain. */
  PROBABLE: 'PROBABLE',
} as const;
export type Confidence = (typeof Confidence)[keyof typeof Confidence];

/** How many rows each rule added in one settlement. */
export interface SettleCounts {
  readonly appContext: number;
  readonly dbContext: number;
  readonly activityTx: number;
  readonly activitySession: number;
  readonly source: number;
}

/**
 * Conflicting evidence is kept and flagged, never resolved by guessing: a change's evidence conflicts when
 * it names more than one database user, or more than one application user. (One database user from the
 * activity stream and another application user from the context are two different questions, not a
 * conflict.) The same rule in SQL is `conflictOf` in src/warehouse/queries/attribution-coverage.ts.
 */
export function isConflict(evidence: readonly { readonly dbUser: string | null; readonly appUser: string | null }[]): boolean {
  const db = new Set<string>();
  const app = new Set<string>();
  for (const e of evidence) {
    if (e.dbUser !== null) db.add(e.dbUser);
    if (e.appUser !== null) app.add(e.appUser);
  }
  return db.size > 1 || app.size > 1;
}
