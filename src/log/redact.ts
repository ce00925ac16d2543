/**
 * Secrets never reach the log (docs/operations.md "Logs"): every rendered record has the process's known
 * secret values (src/log/secrets.ts) replaced by `***`, and any `scheme://user:password@` credential in it
 * masked, whoever wrote the message. Defence in depth: callers still avoid putting secrets in messages.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*):[^\s@/"']*@/gi;
const MIN_SECRET_LENGTH = 6;
/** Not secrets: the embedded PostgreSQL's fixed credentials (src/warehouse/embedded.ts), also the product's name. */
const PUBLIC_VALUES = new Set(['auditql']);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function redactor(secrets: readonly string[]): (line: string) => string {
  // Longest first, so a secret that contains another is masked whole. JSON rendering escapes `"` and `\`:
  // match the escaped spelling too.
  const values = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH && !PUBLIC_VALUES.has(s)))]
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])
    .sort((a, b) => b.length - a.length);
  const known = values.length > 0 ? new RegExp(values.map(escape).join('|'), 'g') : null;
  return (line) => {
    const masked = line.replace(URL_CREDENTIALS, '$1:***@');
    return known ? masked.replace(known, '***') : masked;
  };
}
