/**
 * A SIEM input as one role sees it (docs/security.md "What is masked where"; docs/siem.md "Masking"): the
 * same scope and masking the API applies field by field (src/graphql/policy/enforce-policy.ts), applied to
 * the whole event before a mapping reads it, so OCSF, ECS and auditql's JSON carry no value the role may
 * not see — application context included (`appContext: redact`: no application user, evidence detail
 * redacted). Used by `auditql forward --role` and by the `ocsf`/`ecs` GraphQL fields. Pure.
 */
import type { JsonRow } from '../model/json.js';
import type { RoleView } from '../policy/role-view.js';
import {
  scopedActivityExtra, scopedActor, scopedChangeExtra, scopedColumns, scopedFieldChanges, sees,
} from '../graphql/policy/scoped-values.js';
import type { ActivityInput, ChangeInput, SiemInput } from './siem-input.js';

function maskedChange(view: RoleView, i: ChangeInput): ChangeInput {
  const n = i.node;
  const actor = scopedActor(view, i.actor);
  if (view.transparent) return actor === i.actor ? i : { ...i, actor };
  const key = view.maskRow(n, n.key) ?? {};
  return {
    ...i,
    actor,
    node: {
      ...n,
      key,
      keyText: JSON.stringify(key),
      before: view.maskRow(n, n.before),
      after: view.maskRow(n, n.after),
      changedFields: scopedColumns(view, n, n.changedFields),
      unknownBefore: scopedColumns(view, n, n.unknownBefore),
      unknownAfter: scopedColumns(view, n, n.unknownAfter),
      extra: scopedChangeExtra(view, n, n.extra) as JsonRow,
    },
    fieldChanges: scopedFieldChanges(view, n, i.fieldChanges),
  };
}

function maskedActivity(view: RoleView, i: ActivityInput): ActivityInput {
  const n = i.node;
  if (view.statements === 'raw') return i;
  return {
    ...i,
    node: {
      ...n,
      commandText: view.statement(n.commandText),
      errorMessage: view.errorMessage(n.errorMessage),
      parameters: null,
      extra: scopedActivityExtra(view, n.extra) as JsonRow,
    },
  };
}

/** The event as `view`'s role sees it; null when the event is outside the role's table scope. */
export function maskedInput(view: RoleView, i: SiemInput): SiemInput | null {
  if (i.kind === 'change') {
    if (!sees(view, 'Change', i.node)) return null;
    return maskedChange(view, i);
  }
  if (!sees(view, 'Activity', i.node)) return null;
  return maskedActivity(view, i);
}
