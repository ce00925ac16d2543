/**
 * The parts every ECS document auditql emits shares (docs/siem.md "ECS"). Targets ECS 8.11; fields ECS
 * does not define are `db.*` (named as the OpenTelemetry database semantic conventions name them) and
 * `auditql.*`. Pure.
 */
import { auditqlProduct } from '../product.js';
import { eventTime, hostParts, type SiemInput } from '../siem-input.js';

export const ECS_VERSION = '8.11.0';

export function ecsBase(i: SiemInput): Record<string, unknown> {
  const p = auditqlProduct();
  const n = i.node;
  return {
    '@timestamp': eventTime(i).toISOString(),
    ecs: { version: ECS_VERSION },
    observer: { product: p.name, vendor: p.vendor, version: p.version, type: 'audit' },
    event: {
      kind: 'event',
      id: n.cursor,
      sequence: Number(n.seq),
      module: 'auditql',
      dataset: `auditql.${i.kind === 'change' ? 'changes' : 'activity'}`,
      provider: n.format,
      ingested: n.ingestedAt.toISOString(),
    },
  };
}

/** `source.*` from a remote host and port as the source wrote them. */
export function ecsSource(host: string | null, port: string | null): Record<string, unknown> {
  const { ip, hostname } = hostParts(host);
  return { address: host ?? undefined, ip: ip ?? undefined, domain: hostname ?? undefined, port: port !== null && /^\d{1,5}$/.test(port) ? Number(port) : undefined };
}

/** `user.*`: the application user when attribution knows one, the database user as `user.effective`. */
export function ecsUser(dbUser: string | null, appUser: string | null): Record<string, unknown> {
  const name = appUser ?? dbUser;
  return { name: name ?? undefined, effective: appUser !== null && dbUser !== null ? { name: dbUser } : undefined };
}

export const related = (...users: (string | null)[]): Record<string, unknown> => {
  const u = [...new Set(users.filter((x): x is string => x !== null))];
  return u.length ? { user: u } : {};
};
