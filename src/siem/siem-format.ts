/** One event in the format a SIEM asked for: OCSF, ECS, or auditql's own JSON (docs/siem.md). Pure. */
import { activityToOcsf } from './ocsf/ocsf-activity.js';
import { changeToOcsf } from './ocsf/ocsf-change.js';
import { activityToEcs } from './ecs/ecs-activity.js';
import { changeToEcs } from './ecs/ecs-change.js';
import type { SiemEvent, SiemInput } from './siem-input.js';

export type SiemFormat = 'ocsf' | 'ecs' | 'json';
export const SIEM_FORMATS: readonly SiemFormat[] = ['ocsf', 'ecs', 'json'];

export const toOcsf = (i: SiemInput): SiemEvent => (i.kind === 'change' ? changeToOcsf(i) : activityToOcsf(i));
export const toEcs = (i: SiemInput): SiemEvent => (i.kind === 'change' ? changeToEcs(i) : activityToEcs(i));

/** auditql's own shape: the node as the API returns it, with the actor and field changes of a change. */
function toJson(i: SiemInput): SiemEvent {
  const { partUs: _p, seq: _s, keyText: _k, ...node } = i.node as typeof i.node & { partUs?: string; keyText?: string };
  const body = i.kind === 'change' ? { kind: 'change', ...node, actor: i.actor, fieldChanges: i.fieldChanges } : { kind: 'activity', ...node };
  return JSON.parse(JSON.stringify(body)) as SiemEvent;
}

export function formatEvent(format: SiemFormat, i: SiemInput): SiemEvent {
  return format === 'ocsf' ? toOcsf(i) : format === 'ecs' ? toEcs(i) : toJson(i);
}
