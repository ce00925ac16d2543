/**
 * `Change.actor` from attribution evidence (docs/attribution.md). Evidence arrives best first (see
 * src/warehouse/queries/attributions.ts); each actor field takes its value from the best evidence that
 * has one, and the evidence list says where every answer came from. No evidence → no actor: never guessed.
 */
import type { JsonRow } from '../model/json.js';
import type { AttributionRecord } from '../warehouse/queries/attributions.js';
import { isConflict } from '../warehouse/attribution/evidence.js';

export interface EvidenceNode {
  readonly id: string;
  readonly source: string;
  readonly confidence: string;
  readonly dbUser: string | null;
  readonly appUser: string | null;
  readonly remoteHost: string | null;
  readonly clientApplication: string | null;
  readonly activityId: string | null;
  readonly contextId: string | null;
  readonly detail: JsonRow;
  readonly recordedAt: Date;
}

export interface ActorNode {
  readonly dbUser: string | null;
  readonly appUser: string | null;
  readonly remoteHost: string | null;
  readonly clientApplication: string | null;
  /** The confidence of the best evidence. */
  readonly confidence: string;
  /** The evidence names more than one database user, or more than one application user: kept, not resolved. */
  readonly conflict: boolean;
  readonly evidence: readonly EvidenceNode[];
}

const FIELDS = ['dbUser', 'appUser', 'remoteHost', 'clientApplication'] as const;

export const evidenceNode = (a: AttributionRecord): EvidenceNode => ({
  id: a.seq,
  source: a.evidence,
  confidence: a.confidence,
  dbUser: a.dbUser,
  appUser: a.appUser,
  remoteHost: a.remoteHost,
  clientApplication: a.clientApplication,
  activityId: a.activitySeq,
  contextId: a.contextSeq,
  detail: a.detail,
  recordedAt: a.createdAt,
});

export function actorOf(best: readonly AttributionRecord[]): ActorNode | null {
  if (best.length === 0) return null;
  const evidence = best.map(evidenceNode);
  const merged: Record<(typeof FIELDS)[number], string | null> = { dbUser: null, appUser: null, remoteHost: null, clientApplication: null };
  for (const f of FIELDS) merged[f] = evidence.find((e) => e[f] !== null)?.[f] ?? null;
  return { ...merged, confidence: evidence[0]!.confidence, conflict: isConflict(evidence), evidence };
}
