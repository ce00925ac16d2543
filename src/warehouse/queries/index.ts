/**
 * The warehouse's read side: every query the API runs, one concept per file. Resolvers call these only
 * (docs/architecture.md "Module boundaries": the warehouse owns the SQL).
 */
export * from './keyset.js';
export * from './change-record.js';
export * from './activity-record.js';
export * from './change-page.js';
export * from './activity-page.js';
export * from './attributions.js';
export * from './transaction-key.js';
export * from './transaction-summary.js';
export * from './transaction-members.js';
export * from './entity-history.js';
export * from './health.js';
export * from './schema-change-page.js';
