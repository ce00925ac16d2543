/**
 * `auditql keys create --role ROLE --name NAME [--json]`, `keys list [--json]`, `keys revoke NAME`
 * (docs/configuration.md "Commands"; docs/security.md "API keys"). A created key is printed once and never again:
 * only its scrypt hash is stored.
 */
import type { EnvConfig } from '../../config/env.js';
import type { Logger } from '../../log.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { connectWarehouse } from '../../warehouse/connect.js';
import { insertApiKey, listApiKeys, revokeApiKey } from '../../warehouse/queries/api-keys.js';
import { newApiKey } from '../../auth/api-key-secret.js';
import { loadPolicy } from '../../policy/load-policy.js';

const usage = (m: string) => new AuditqlError(ErrorCode.BAD_CONFIG, `${m}; usage: auditql keys create --role ROLE --name NAME [--json] | keys list [--json] | keys revoke NAME`);

function flags(args: readonly string[], known: readonly string[]): { values: Map<string, string>; json: boolean; rest: string[] } {
  const values = new Map<string, string>();
  const rest: string[] = [];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (known.includes(a)) {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw usage(`${a} needs a value`);
      values.set(a, v);
    } else if (a.startsWith('--')) throw usage(`unknown option ${a}`);
    else rest.push(a);
  }
  return { values, json, rest };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;

export async function keysCommand(env: EnvConfig, args: readonly string[], log: Logger): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') throw usage(`unknown keys command ${JSON.stringify(sub ?? '')}`);
  const f = flags(rest, sub === 'create' ? ['--role', '--name'] : []);
  let role = '';
  let name = '';
  if (sub === 'create') {
    role = f.values.get('--role') ?? '';
    name = f.values.get('--name') ?? '';
    if (!role || !name) throw usage('keys create needs --role and --name');
    if (!NAME.test(name)) throw usage(`--name ${JSON.stringify(name)}: letters, digits, . _ @ - (at most 100)`);
    const policy = loadPolicy();
    if (!policy.roles.has(role)) throw usage(`--role ${JSON.stringify(role)}: not a role of the policy (${[...policy.roles.keys()].join(', ')})`);
    if (f.rest.length) throw usage(`unexpected ${JSON.stringify(f.rest.join(' '))}`);
  } else if (sub === 'revoke') {
    if (f.rest.length !== 1) throw usage('keys revoke needs exactly one NAME');
    name = f.rest[0]!;
  } else if (f.rest.length) throw usage(`unexpected ${JSON.stringify(f.rest.join(' '))}`);

  const c = await connectWarehouse(env, { log: log.debug, applicationName: 'auditql-keys' });
  try {
    const db = c.warehouse.db;
    if (sub === 'create') {
      const k = await newApiKey();
      if (!(await insertApiKey(db, { keyId: k.keyId, name, role, secretHash: k.secretHash }))) {
        throw new AuditqlError(ErrorCode.BAD_CONFIG, `a live key named ${JSON.stringify(name)} exists; revoke it first (auditql keys revoke ${name})`);
      }
      process.stdout.write(f.json ? JSON.stringify({ key: k.key, name, role }) + '\n' : `${k.key}\n`);
      if (!f.json) log.info(`key ${JSON.stringify(name)} (role ${role}) created; it is shown only now: send it as "Authorization: Bearer <key>"`);
      return 0;
    }
    if (sub === 'revoke') {
      if (!(await revokeApiKey(db, name))) throw new AuditqlError(ErrorCode.BAD_CONFIG, `no live key named ${JSON.stringify(name)}`);
      log.info(`key ${JSON.stringify(name)} revoked (open subscriptions using it are closed within seconds)`);
      return 0;
    }
    const rows = await listApiKeys(db);
    const out = rows.map((r) => ({
      name: r.name, role: r.role, keyId: r.keyId, createdAt: r.createdAt.toISOString(),
      lastUsedAt: r.lastUsedAt?.toISOString() ?? null, revokedAt: r.revokedAt?.toISOString() ?? null,
    }));
    if (f.json) process.stdout.write(out.map((o) => JSON.stringify(o)).join('\n') + (out.length ? '\n' : ''));
    else {
      for (const o of out) {
        process.stdout.write(`${o.name}\t${o.role}\t${o.revokedAt ? `revoked ${o.revokedAt}` : 'live'}\tcreated ${o.createdAt}\tlast used ${o.lastUsedAt ?? 'never'}\n`);
      }
    }
    return 0;
  } finally {
    await c.close();
  }
}
