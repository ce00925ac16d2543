/** Warehouse proofs → GraphQL nodes (hashes as base64). */
import type { ConsistencyProof, InclusionProof, StoredCheckpoint } from '../../warehouse/ledger/proofs.js';
import type { LedgerCheckpoint, LedgerConsistencyProof, LedgerProof } from '../types/ledger.js';

export const checkpointNode = (c: StoredCheckpoint): LedgerCheckpoint =>
  ({ treeSize: c.treeSize, rootHash: c.rootHash.toString('base64'), sealedAt: c.sealedAt, note: c.note });

export const proofNode = (p: InclusionProof): LedgerProof => ({
  leafIndex: p.leafIndex, treeSize: p.treeSize, leafHash: p.leafHash.toString('base64'),
  auditPath: p.auditPath.map((h) => h.toString('base64')), checkpoint: checkpointNode(p.checkpoint),
});

export const consistencyNode = (p: ConsistencyProof): LedgerConsistencyProof => ({
  fromSize: p.fromSize, toSize: p.toSize, proof: p.path.map((h) => h.toString('base64')),
  fromCheckpoint: p.from ? checkpointNode(p.from) : null, toCheckpoint: p.to ? checkpointNode(p.to) : null,
});
