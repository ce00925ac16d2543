/**
 * OCSF `actor` from who did it: the application user when attribution knows one (the person), with the
 * database account they acted through as `user.account`; else the database user. Pure.
 */
import type { ActorNode } from '../../graphql/actor.js';

interface Who {
  readonly dbUser: string | null;
  readonly appUser: string | null;
  readonly clientApplication: string | null;
  readonly sessionId?: string | null;
}

const ACCOUNT_TYPE = { type_id: 99, type: 'Database account' } as const;

export function ocsfUser(dbUser: string | null, appUser: string | null): Record<string, unknown> {
  const name = appUser ?? dbUser;
  if (name === null) return { type_id: 0, type: 'Unknown' }; // no evidence: unknown, never guessed
  return { name, type_id: 1, type: 'User', account: dbUser === null ? undefined : { name: dbUser, ...ACCOUNT_TYPE } };
}

export function ocsfActor(w: Who): Record<string, unknown> {
  return {
    user: ocsfUser(w.dbUser, w.appUser),
    app_name: w.clientApplication ?? undefined,
    session: w.sessionId ? { uid: w.sessionId } : undefined,
  };
}

/** Attribution as auditql knows it, for `unmapped.auditql.actor`: every field and where it came from. */
export function attributionDetail(a: ActorNode | null): Record<string, unknown> {
  if (a === null) return { attributed: false };
  return {
    attributed: true,
    db_user: a.dbUser,
    app_user: a.appUser,
    confidence: a.confidence,
    conflict: a.conflict,
    evidence: a.evidence.map((e) => e.source),
  };
}
