/**
 * `--filter KEY=VALUE[,VALUE…]` (docs/siem.md "Filters"), repeated filters all apply: `kind` change or
 * activity, `table`, `database`, `operations` (changes), `classes` (activity), `user` (a change's
 * attributed database or application user; an activity's database user).
 */
import { AuditqlError, ErrorCode } from '../../errors.js';
import type { FeedFilter } from '../feed-events.js';
import type { ChangeQuery } from '../../warehouse/queries/change-page.js';
import type { ActivityQuery } from '../../warehouse/queries/activity-page.js';

export function parseFilter(filters: readonly string[]): FeedFilter {
  let changes: ChangeQuery | null = {};
  let activity: ActivityQuery | null = {};
  for (const f of filters) {
    const m = /^([a-z]+)=(.+)$/.exec(f);
    if (!m) throw new AuditqlError(ErrorCode.BAD_CONFIG, `--filter ${JSON.stringify(f)}: expected KEY=VALUE`);
    const [, key, value] = m as unknown as [string, string, string];
    const list = value.split(',').map((s) => s.trim()).filter(Boolean);
    switch (key) {
      case 'kind':
        if (value === 'change') activity = null;
        else if (value === 'activity') changes = null;
        else throw new AuditqlError(ErrorCode.BAD_CONFIG, `--filter kind=${value}: expected change or activity`);
        break;
      case 'table':
        if (changes) changes = { ...changes, table: value };
        if (activity) activity = { ...activity, objectName: value };
        break;
      case 'database':
        if (changes) changes = { ...changes, database: value };
        if (activity) activity = { ...activity, database: value };
        break;
      case 'operations':
        activity = null;
        if (changes) changes = { ...changes, operations: list.map((s) => s.toUpperCase()) };
        break;
      case 'classes':
        changes = null;
        if (activity) activity = { ...activity, classes: list.map((s) => s.toUpperCase()) };
        break;
      case 'user':
        if (changes) changes = { ...changes, actor: value };
        if (activity) activity = { ...activity, dbUser: value };
        break;
      default:
        throw new AuditqlError(ErrorCode.BAD_CONFIG, `--filter ${key}: expected kind, table, database, operations, classes or user`);
    }
  }
  return Object.freeze({ changes, activity });
}
