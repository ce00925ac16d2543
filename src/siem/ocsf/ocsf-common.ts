/** The parts every OCSF event auditql emits shares: classification, metadata, time, status. Pure. */
import { auditqlProduct } from '../product.js';
import { eventTime, hostParts, verbatim, type SiemInput } from '../siem-input.js';
import { OCSF_VERSION, SeverityId, StatusId, typeUid } from './ocsf-schema.js';

interface ClassInfo {
  readonly classUid: number;
  readonly className: string;
  readonly categoryUid: number;
  readonly categoryName: string;
}

/** class, category, activity and type — the four ids and their captions. */
export function classification(c: ClassInfo, activityName: string, activityId: number): Record<string, unknown> {
  return {
    class_uid: c.classUid,
    class_name: c.className,
    category_uid: c.categoryUid,
    category_name: c.categoryName,
    activity_id: activityId,
    activity_name: activityName,
    type_uid: typeUid(c.classUid, activityId),
    type_name: `${c.className}: ${activityName}`,
  };
}

/** `metadata`: product, schema version, and `uid` = the event's cursor (receivers deduplicate on it). */
export function metadata(i: SiemInput): Record<string, unknown> {
  const p = auditqlProduct();
  const n = i.node;
  return {
    version: OCSF_VERSION,
    product: { name: p.name, vendor_name: p.vendor, version: p.version, feature: { name: n.format } },
    uid: n.cursor,
    sequence: Number(n.seq),
    log_name: i.kind === 'change' ? 'changes' : 'activity',
    log_provider: n.format,
    logged_time: n.ingestedAt.getTime(),
    correlation_uid: n.txId ?? undefined,
    profiles: [],
  };
}

export function timeOf(i: SiemInput): Record<string, unknown> {
  return { time: eventTime(i).getTime(), timezone_offset: 0 };
}

/** `status*` and `severity*` from whether it succeeded. */
export function statusOf(success: boolean, failureSeverity: number, code: string | null, detail: string | null): Record<string, unknown> {
  const severity = success ? SeverityId.Informational : failureSeverity;
  return {
    status_id: success ? StatusId.Success : StatusId.Failure,
    status: success ? 'Success' : 'Failure',
    status_code: code ?? undefined,
    status_detail: detail ?? undefined,
    severity_id: severity,
    severity: severity === SeverityId.Informational ? 'Informational' : severity === SeverityId.Low ? 'Low' : 'Medium',
  };
}

/**
 * A `network_endpoint` from a remote host and port as the source wrote them. Where the class requires it
 * and the source did not say (a row change without attribution), an empty object: present, and claiming nothing.
 */
export function endpoint(host: string | null, port: string | null): Record<string, unknown> {
  const { ip, hostname } = hostParts(host);
  const p = port !== null && /^\d{1,5}$/.test(port) ? Number(port) : undefined;
  if (ip === null && hostname === null && p === undefined) return verbatim({}) as unknown as Record<string, unknown>;
  return { ip: ip ?? undefined, hostname: hostname ?? undefined, port: p };
}

/** A `user` object; with no name the user is Unknown (type_id 0): auditql never guesses an actor. */
export function user(name: string | null, kind: 'database' | 'application'): Record<string, unknown> {
  if (name === null) return { type_id: 0, type: 'Unknown' };
  return { name, type_id: 1, type: 'User', ...(kind === 'database' ? { account: { name, type_id: 99, type: 'Database account' } } : {}) };
}
