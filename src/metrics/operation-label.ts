/**
 * GraphQL operation names are chosen by clients: as a label they must stay bounded. A name is kept when it
 * is 1–64 characters of `[A-Za-z0-9_]` and fewer than `max` distinct names were seen; anything else is
 * `other`, and an operation without a name is `anonymous`.
 */
const NAME = /^[A-Za-z0-9_]{1,64}$/;

export function operationLabeler(max = 200): (name: string | null | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    if (!name) return 'anonymous';
    if (!NAME.test(name)) return 'other';
    if (seen.has(name)) return name;
    if (seen.size >= max) return 'other';
    seen.add(name);
    return name;
  };
}
