/**
 * The normalized fields a mapping may set, per kind (docs/event-model.md), and what each must evaluate to.
 * Anything else in `fields` is refused at start.
 */
import { ACTIVITY_CLASSES } from '../../model/events.js';

export type FieldType =
  | 'string' // a string; numbers and booleans are taken as their text
  | 'integer'
  | 'boolean'
  | 'time' // converted by the value's `time` unit
  | 'object' // a JSON object (row images, keys, extra)
  | 'json' // any JSON
  | 'class' // one of ACTIVITY_CLASSES
  | 'operation'; // INSERT | UPDATE | DELETE | SNAPSHOT | TRUNCATE

export interface TargetField {
  readonly type: FieldType;
  readonly required?: boolean;
}

export const OPERATIONS = ['INSERT', 'UPDATE', 'DELETE', 'SNAPSHOT', 'TRUNCATE'] as const;

const strings = (...names: string[]): Record<string, TargetField> =>
  Object.fromEntries(names.map((n) => [n, { type: 'string' as const }]));

export const ACTIVITY_FIELDS: Readonly<Record<string, TargetField>> = {
  class: { type: 'class' },
  ...strings(
    'rawClass', 'command', 'commandText', 'objectType', 'objectName', 'database', 'dbUser', 'remoteHost', 'remotePort',
    'clientApplication', 'sessionId', 'pid', 'statementId', 'substatementId', 'exitCode', 'errorMessage', 'txId', 'server',
  ),
  rowCount: { type: 'integer' },
  startedAt: { type: 'time' },
  occurredAt: { type: 'time' },
  parameters: { type: 'json' },
  extra: { type: 'object' },
};

export const CHANGE_FIELDS: Readonly<Record<string, TargetField>> = {
  operation: { type: 'operation', required: true },
  table: { type: 'string', required: true },
  ...strings('database', 'schema', 'txId', 'server', 'connection', 'user'),
  key: { type: 'object' },
  before: { type: 'object' },
  after: { type: 'object' },
  beforeComplete: { type: 'boolean' },
  txOrder: { type: 'integer' },
  committedAt: { type: 'time' },
  extra: { type: 'object' },
};

export const fieldsOf = (kind: 'activity' | 'change') => (kind === 'activity' ? ACTIVITY_FIELDS : CHANGE_FIELDS);

export const isActivityClass = (v: unknown): boolean => typeof v === 'string' && (ACTIVITY_CLASSES as readonly string[]).includes(v);
export const isOperation = (v: unknown): boolean => typeof v === 'string' && (OPERATIONS as readonly string[]).includes(v);
