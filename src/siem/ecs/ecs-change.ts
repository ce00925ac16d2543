/**
 * A row change as an ECS document (docs/siem.md "ECS"): `event.category` database, `event.type` change
 * (access for snapshot reads; the operation is `event.action`), outcome success; who
 * from attribution; the row images and field changes under `auditql.*`. Pure.
 */
import type { Operation } from '../../model/events.js';
import { rowDetail } from '../row-detail.js';
import { compact, qualifiedTable, type ChangeInput, type SiemEvent } from '../siem-input.js';
import { attributionDetail } from '../ocsf/ocsf-actor.js';
import { ecsBase, ecsSource, ecsUser, related } from './ecs-common.js';

const TYPES: Record<Operation, string[]> = {
  INSERT: ['change'],
  UPDATE: ['change'],
  DELETE: ['change'],
  TRUNCATE: ['change'],
  SNAPSHOT: ['access'],
};

const SYSTEMS: Record<string, string> = { maxwell: 'mysql', pgoutput: 'postgresql' };

export function changeToEcs(i: ChangeInput): SiemEvent {
  const c = i.node;
  const a = i.actor;
  const base = ecsBase(i);
  const table = qualifiedTable(c.schema, c.table);
  return compact({
    ...base,
    message: `${c.operation} ${table} ${JSON.stringify(c.key)}`,
    event: { ...(base.event as object), category: ['database'], type: TYPES[c.operation], outcome: 'success', action: c.operation.toLowerCase() },
    user: ecsUser(a?.dbUser ?? null, a?.appUser ?? null),
    related: related(a?.dbUser ?? null, a?.appUser ?? null),
    source: ecsSource(a?.remoteHost ?? null, null),
    server: c.server ? { address: c.server } : undefined,
    db: {
      system: SYSTEMS[c.format],
      name: c.database ?? undefined,
      user: a?.dbUser ?? undefined,
      operation: c.operation,
      sql: { table },
    },
    auditql: {
      ...rowDetail(i),
      client_application: a?.clientApplication,
      actor: attributionDetail(a),
    },
  });
}
