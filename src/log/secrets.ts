/**
 * The secret values of this process's configuration, for the log redactor (src/log/redact.ts): the
 * password in DATABASE_URL (and any URL-valued variable), every variable whose name says it holds a secret
 * (…PASSWORD, …SECRET, …TOKEN, …_KEY …), and the variables the Firehose configuration names as holding
 * access keys or Maxwell keys (`accessKeyEnv`, `maxwellKeyEnv`, docs/sources/firehose.md).
 */
const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIALS?|_KEY|^KEY)$/i;

function urlPassword(value: string): string | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return null;
  try {
    const u = new URL(value);
    return u.password ? decodeURIComponent(u.password) : null;
  } catch {
    return null;
  }
}

/** Variable names that AUDITQL_FIREHOSE_SOURCES says hold secrets (its JSON is validated elsewhere). */
function namedByFirehose(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const sources = JSON.parse(raw) as Record<string, Record<string, unknown>>;
    return Object.values(sources ?? {}).flatMap((s) =>
      [s?.accessKeyEnv, s?.maxwellKeyEnv].filter((n): n is string => typeof n === 'string'));
  } catch {
    return [];
  }
}

export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const named = new Set(namedByFirehose(env.AUDITQL_FIREHOSE_SOURCES));
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_NAME.test(name) || named.has(name)) out.push(value);
    const password = urlPassword(value);
    if (password) out.push(password, encodeURIComponent(password));
  }
  return out;
}
