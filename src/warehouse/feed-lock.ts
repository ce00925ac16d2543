/**
 * The advisory lock every sink transaction takes before it allocates feed sequence numbers or inserts event
 * rows, held until commit (docs/warehouse.md); the ledger's sealer and retention take it too, so no append
 * runs beside them. Its own module so that sink.ts and the ledger share it without importing each other.
 */
export const FEED_LOCK = 7_411_000;
