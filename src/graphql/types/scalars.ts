/**
 * The custom scalars, from graphql-scalars: `DateTime` (ISO 8601), `JSON` (any JSON) and `SafeInt`
 * (integers up to ±2^53). Named `…Scalar` here so the global `JSON` is never shadowed.
 */
export { DateTimeResolver as DateTimeScalar, JSONResolver as JSONScalar, SafeIntResolver as SafeIntScalar } from 'graphql-scalars';
