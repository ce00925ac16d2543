/** What `auditql verify` reports (verify.ts): each divergence between the rows, the log and its signatures. */

export const DivergenceKind = {
  /** A row's stored columns no longer hash to the leaf logged for its seq. */
  ROW_ALTERED: 'ROW_ALTERED',
  /** Two rows' seqs were exchanged: each row hashes to the leaf logged for the other's seq. */
  SEQ_SWAPPED: 'SEQ_SWAPPED',
  /** A logged leaf has no row, and no signed retention event removed it. */
  ROW_MISSING: 'ROW_MISSING',
  /** A row whose seq the log never had: written outside the sink. */
  ROW_ADDED: 'ROW_ADDED',
  /** Two rows carry the same seq. */
  SEQ_REUSED: 'SEQ_REUSED',
  /** The log of leaves itself was edited: the tree no longer has the signed root. */
  ROOT_MISMATCH: 'ROOT_MISMATCH',
  /** A checkpoint larger than the log: leaves were removed from its end. */
  LOG_TRUNCATED: 'LOG_TRUNCATED',
  /** A checkpoint whose signature does not verify with the trusted key it names. */
  CHECKPOINT_FORGED: 'CHECKPOINT_FORGED',
  /** A checkpoint signed only by a key not trusted here (re-signed with another key). */
  CHECKPOINT_UNTRUSTED: 'CHECKPOINT_UNTRUSTED',
  /** A retention event not signed by a trusted key, or not matching the leaves it names. */
  RETENTION_INVALID: 'RETENTION_INVALID',
} as const;
export type DivergenceKind = (typeof DivergenceKind)[keyof typeof DivergenceKind];

export interface Divergence {
  readonly kind: DivergenceKind;
  /** The seq where it is, when it is at one row. */
  readonly seq: string | null;
  readonly table: string | null;
  readonly treeSize: number | null;
  readonly detail: string;
}
