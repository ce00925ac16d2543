/**
 * Policy globs (docs/security.md "Policy file") over dotted names — `database.schema.table` and
 * `database.schema.table.column`: `*` matches within one part, `**` across parts, a leading `!` excludes.
 * A missing part (MySQL has no schema) is empty: `shop..orders`. Pure.
 */
export interface GlobSet {
  /** True when some positive glob matches and no `!` glob does. */
  matches(name: string): boolean;
  /** True when the set matches every name (`**` and no exclusion): callers may skip the work. */
  readonly all: boolean;
}

function regexOf(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^.]*';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export function globSet(globs: readonly string[]): GlobSet {
  const include = globs.filter((g) => !g.startsWith('!')).map(regexOf);
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => regexOf(g.slice(1)));
  return Object.freeze({
    matches: (name: string) => include.some((r) => r.test(name)) && !exclude.some((r) => r.test(name)),
    all: exclude.length === 0 && globs.includes('**'),
  });
}

/** `database.schema.table` with absent parts empty. */
export const tableName = (database: string | null, schema: string | null, table: string): string =>
  `${database ?? ''}.${schema ?? ''}.${table}`;
