/**
 * The Maxwell's Daemon decoder (docs/formats/maxwell.md): one Maxwell JSON message → one
 * `change` (insert, update, delete, bootstrap-insert) or `schema-change` (DDL), or a counted skip:
 * - `bootstrap-start` / `bootstrap-complete` and rows of `maxwell.bootstrap` → MARKER;
 * - `heartbeat` and rows of `maxwell.heartbeats` → HEARTBEAT (Maxwell never emits them; a fork might);
 * - a null value → TOMBSTONE.
 * Pure: no I/O; `encrypt=data|all` is undone with ctx.maxwellKey. Anything else → DecodeError with a stable
 * code and a message that holds no row values.
 */
import { DecodeError, ErrorCode } from '../../errors.js';
import { emit, skip, type DecodeResult, type Decoder } from '../decoder.js';
import { readMessage } from './read-message.js';
import { recognizesMaxwell } from './recognize.js';
import { rowChange, rowTarget } from './row-change.js';
import { schemaChange } from './schema-change.js';
import {
  BOOTSTRAP_TABLE,
  HEARTBEAT_TYPE,
  HEARTBEATS_TABLE,
  MAXWELL_SCHEMA,
  isDdlType,
  isMarkerType,
  isRowType,
} from './payload.js';

const SAFE_TYPE = /^[a-z][a-z-]{0,39}$/;

export const maxwellDecoder: Decoder = {
  format: 'maxwell',
  recognizes: recognizesMaxwell,
  decode(record, ctx): DecodeResult {
    if (record.value === null) return skip('TOMBSTONE');
    const message = readMessage(record.value, ctx.maxwellKey);
    if (message === null) return skip('TOMBSTONE');
    const { fields, encryption } = message;
    const type = fields['type'];

    if (isDdlType(type)) return emit(schemaChange(type, fields, record));
    if (type === HEARTBEAT_TYPE) return skip('HEARTBEAT');
    if (isRowType(type) || isMarkerType(type)) {
      const { database, table } = rowTarget(fields);
      if (database === MAXWELL_SCHEMA && table === HEARTBEATS_TABLE) return skip('HEARTBEAT');
      if (database === MAXWELL_SCHEMA && table === BOOTSTRAP_TABLE) return skip('MARKER');
      if (isMarkerType(type)) return skip('MARKER');
      return emit(rowChange(type, fields, encryption, record, ctx));
    }
    if (type === undefined) throw new DecodeError(ErrorCode.UNDECODABLE_RECORD, 'Maxwell record has no `type`');
    const shown = typeof type === 'string' && SAFE_TYPE.test(type) ? ` ${JSON.stringify(type)}` : '';
    throw new DecodeError(ErrorCode.UNSUPPORTED_RECORD, `Maxwell record has an unknown \`type\`${shown}`);
  },
};
