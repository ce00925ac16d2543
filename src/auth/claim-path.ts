/**
 * Reading the role out of JWT claims, wherever the identity provider puts it: a top-level claim by its
 * exact name first (`cognito:groups`, Auth0's `https://example.com/roles`, which contain dots), else a dotted
 * path (`realm_access.roles` for Keycloak). A string or an array of strings.
 */
export function claimValues(payload: Readonly<Record<string, unknown>>, path: string): string[] {
  let v: unknown = payload[path];
  if (v === undefined && path.includes('.')) {
    v = path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), payload);
  }
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}
