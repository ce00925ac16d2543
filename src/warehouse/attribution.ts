/**
 * Attribution ("who", docs/attribution.md): settled inside the sink's transaction whenever new changes, activity or
 * context arrive, in either order. The rules live in src/warehouse/attribution/ (docs/attribution.md).
 */
export { settleAttribution, settleEvidence } from './attribution/settle.js';
export { Confidence, Evidence, EVIDENCE_ORDER, isConflict, type SettleCounts } from './attribution/evidence.js';
