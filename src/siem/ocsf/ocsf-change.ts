/**
 * A row change as OCSF Datastore Activity (6005) (docs/siem.md "OCSF"): INSERT is Create, UPDATE Update,
 * DELETE and TRUNCATE Delete, SNAPSHOT Read. OCSF has no attributes for row images, so the before and
 * after rows, the key and the field changes are in `unmapped.auditql` (docs/siem.md "Extension fields").
 * The actor comes from attribution; with none, the user is Unknown, never guessed. Pure.
 */
import type { Operation } from '../../model/events.js';
import { rowDetail } from '../row-detail.js';
import { compact, qualifiedTable, type ChangeInput, type SiemEvent } from '../siem-input.js';
import { classification, endpoint, metadata, statusOf, timeOf } from './ocsf-common.js';
import { attributionDetail, ocsfActor } from './ocsf-actor.js';
import { DATABASE_RELATIONAL, DATASTORE_ACTIVITY, DatastoreActivityId, DatastoreTypeId, SeverityId, type DatastoreActivityName } from './ocsf-schema.js';

const BY_OPERATION: Record<Operation, DatastoreActivityName> = { INSERT: 'Create', UPDATE: 'Update', DELETE: 'Delete', TRUNCATE: 'Delete', SNAPSHOT: 'Read' };

export const datastoreActivityOfOperation = (op: Operation): DatastoreActivityName => BY_OPERATION[op];

export function changeToOcsf(i: ChangeInput): SiemEvent {
  const c = i.node;
  const a = i.actor;
  const name = BY_OPERATION[c.operation];
  const table = qualifiedTable(c.schema, c.table);
  const who = a?.appUser ?? a?.dbUser ?? 'unattributed';
  return compact({
    ...classification(DATASTORE_ACTIVITY, name, DatastoreActivityId[name]),
    ...timeOf(i),
    ...statusOf(true, SeverityId.Informational, null, null),
    message: `${c.operation} ${table} ${JSON.stringify(c.key)} by ${who}`,
    metadata: metadata(i),
    actor: ocsfActor({ dbUser: a?.dbUser ?? null, appUser: a?.appUser ?? null, clientApplication: a?.clientApplication ?? null }),
    src_endpoint: endpoint(a?.remoteHost ?? null, null),
    dst_endpoint: c.server ? { name: c.server } : undefined,
    database: { name: c.database ?? undefined, ...DATABASE_RELATIONAL, uid: c.server ?? undefined },
    table: { name: table },
    type_id: DatastoreTypeId.Table,
    type: 'Table',
    unmapped: {
      auditql: {
        ...rowDetail(i),
        actor: attributionDetail(a),
      },
    },
  });
}
