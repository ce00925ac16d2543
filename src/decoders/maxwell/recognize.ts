/**
 * `--format auto`: does a parsed record value look like Maxwell JSON? Yes for a row or bootstrap event
 * (`type` in Maxwell's set, a string `table`, and `data` or `encrypted`), a DDL event (a DDL `type` with
 * `sql` or `def`), and the `encrypt=all` envelope `{"encrypted":{"iv","bytes"}}`. Never for Debezium
 * (`op` with `source`, or a `schema`/`payload` envelope), DAS (`type` DatabaseActivityMonitoringRecords,
 * record or heartbeat — `heartbeat` is deliberately not claimed) or pgAudit (text logs, jsonlog has no `type`).
 */
import { isPlainObject } from '../../model/json.js';
import { isDdlType, isMarkerType, isRowType } from './payload.js';

function isEncryptedBlock(value: unknown): boolean {
  return isPlainObject(value) && typeof value['iv'] === 'string' && typeof value['bytes'] === 'string';
}

export function recognizesMaxwell(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  if ('op' in value || 'source' in value || 'payload' in value) return false;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'encrypted') return isEncryptedBlock(value['encrypted']);
  const type = value['type'];
  if (isRowType(type) || isMarkerType(type)) {
    const data = value['data'];
    return typeof value['table'] === 'string' && (isPlainObject(data) || typeof data === 'string' || isEncryptedBlock(value['encrypted']));
  }
  if (isDdlType(type)) return typeof value['sql'] === 'string' || isPlainObject(value['def']);
  return false;
}
