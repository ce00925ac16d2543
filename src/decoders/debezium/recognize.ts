/**
 * `--format auto`: does a parsed record value look like Debezium? Yes for
 * - a data event: `op` ∈ c/u/d/r/t/m with a `source` object (bare, or as the `payload` of `{schema, payload}`),
 * - a transaction topic value (`status` BEGIN/END, string `id`, no `op`),
 * - a MySQL schema-change value (`ddl` with `tableChanges`/`databaseName` and a `source`, no `op`),
 * - a Connect JSON tombstone `{"schema": null, "payload": null}`, or a Debezium heartbeat (`{"ts_ms": …}`
 *   alone, bare or with its `io.debezium.connector.common.Heartbeat` schema), so `auto` skips it too.
 * Maxwell (`database`/`table`/`type`/`data`), DAS (`type: DatabaseActivityMonitoringRecords`…) and pgAudit
 * shapes have none of these and are not claimed.
 */
import { isPlainObject } from '../../model/json.js';
import { LogicalType } from './envelope.js';
import { isSchemaWrapped } from './connect-json.js';
import { isTransactionMetadata } from './transaction-metadata.js';
import { isSchemaChange } from './schema-change.js';

const OPS = new Set(['c', 'u', 'd', 'r', 't', 'm']);

export function isDataEvent(value: Record<string, unknown>): boolean {
  return typeof value['op'] === 'string' && OPS.has(value['op']) && isPlainObject(value['source']);
}

/** A heartbeat value: `{"ts_ms": <n>}` and nothing else. */
export function isHeartbeatValue(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'ts_ms';
}

function isDebeziumPayload(value: unknown): boolean {
  return isPlainObject(value) && (isDataEvent(value) || isTransactionMetadata(value) || isSchemaChange(value) || isHeartbeatValue(value));
}

export function recognizes(value: unknown): boolean {
  if (isSchemaWrapped(value)) {
    if (value.payload === null) return value.schema === null;
    const name = isPlainObject(value.schema) ? value.schema['name'] : undefined;
    return isDebeziumPayload(value.payload) || name === LogicalType.HEARTBEAT;
  }
  return isDebeziumPayload(value);
}
