/**
 * The advisory lock keys the warehouse's writers share (docs/warehouse.md "Locks"). Their own module so that
 * the sink, attribution and the ledger share them without importing each other. Keys 7411000–7411006 are
 * auditql's; the in-flight markers use bigint keys from 2^62 up (migrations/040_concurrent_writers.sql).
 */

/** Taken right before attribution settles, held for the settlement and the commit only (sink.ts). */
export const ATTRIBUTION_LOCK = 7_411_004;

/** Serializes appending to the ledger, sealing and signed retention (ledger/append.ts). */
export const LEDGER_LOCK = 7_411_005;
