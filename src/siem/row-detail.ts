/** The row images and field changes of a change, as both mappings put them under `auditql.*`. Pure. */
import { verbatim, type ChangeInput } from './siem-input.js';

export function rowDetail(i: ChangeInput): Record<string, unknown> {
  const c = i.node;
  return {
    kind: 'change',
    id: c.id,
    operation: c.operation,
    schema: c.schema,
    table: c.table,
    key: verbatim(c.key),
    before: verbatim(c.before),
    after: verbatim(c.after),
    before_complete: c.beforeComplete,
    unknown_before: c.unknownBefore,
    unknown_after: c.unknownAfter,
    changed_fields: c.changedFields,
    field_changes: i.fieldChanges.map((f) => ({
      field: f.field,
      old_value: verbatim(f.oldValue),
      new_value: verbatim(f.newValue),
      old_value_known: f.oldValueKnown,
      new_value_known: f.newValueKnown,
    })),
    transaction_id: c.transactionId,
    server: c.server,
    source: c.source,
    position: c.position,
  };
}
