/**
 * JSON Pointer (RFC 6901, https://www.rfc-editor.org/rfc/rfc6901): `/a/b/0`, with
 * `~1` for `/` and `~0` for `~` in a segment. The empty pointer is the whole document.
 */

/** The pointer's reference tokens, or an error message when it is not a pointer. */
export function parsePointer(pointer: string): readonly string[] | string {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return 'a JSON pointer starts with "/" (or is "" for the whole event)';
  const tokens = pointer.slice(1).split('/');
  for (const t of tokens) if (/~[^01]|~$/.test(t)) return `"~" must be followed by 0 or 1 in a JSON pointer (${JSON.stringify(t)})`;
  return tokens.map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value the tokens reach, or undefined when the document has nothing there. */
export function resolvePointer(document: unknown, tokens: readonly string[]): unknown {
  let at: unknown = document;
  for (const t of tokens) {
    if (Array.isArray(at)) {
      if (!/^(0|[1-9]\d*)$/.test(t)) return undefined;
      at = at[Number(t)];
    } else if (typeof at === 'object' && at !== null && Object.prototype.hasOwnProperty.call(at, t)) {
      at = (at as Record<string, unknown>)[t];
    } else return undefined;
  }
  return at;
}
