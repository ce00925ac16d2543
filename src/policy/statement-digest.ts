/**
 * A statement with its literals replaced by `?` (docs/security.md "Statements"), like a MySQL statement
 * digest or Percona's audit filter: quoted strings (single, double and dollar quoted, with E/B/X/N prefixes),
 * numbers, and comments (which may quote values) go; keywords, identifiers, backquoted identifiers and
 * `$1`-style placeholders stay. Double-quoted text is replaced too: MySQL reads it as a string, and an audit
 * digest errs on the side of hiding. An unterminated quote hides the rest of the text. Pure.
 */
const TOKEN = new RegExp(
  [
    /--[^\n]*/.source, // line comment
    /\/\*[\s\S]*?(?:\*\/|$)/.source, // block comment
    /(?:[EeBbXxNn]|[Uu]&)?'(?:[^'\\]|''|\\[\s\S])*(?:'|$)/.source, // string
    /"(?:[^"\\]|""|\\[\s\S])*(?:"|$)/.source, // double-quoted
    /\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?(?:\$\1\$|$)/.source, // dollar-quoted
    /`[^`]*`?/.source, // MySQL identifier: kept
    /\$\d+/.source, // placeholder: kept
    /[A-Za-z_][A-Za-z0-9_$]*/.source, // keyword or identifier: kept
    /0[xX][0-9A-Fa-f]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.source, // number
  ].join('|'),
  'g',
);

export function statementDigest(text: string): string {
  return text
    .replace(TOKEN, (tok) => {
      if (tok.startsWith('--') || tok.startsWith('/*')) return ' ';
      if (tok.startsWith('`') || /^\$\d/.test(tok) || /^[A-Za-z_]/.test(tok) && !/^(?:[EeBbXxNn]|[Uu]&)'/.test(tok)) return tok;
      return '?';
    })
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/**
 * An error message under the digest policy: its literals as above, and the values PostgreSQL quotes in
 * parentheses (`Key (email)=(alice@example.com) already exists`).
 */
export function errorDigest(text: string): string {
  return statementDigest(text.replace(/\)=\((?:[^()]|\([^()]*\))*\)/g, ')=(?)'));
}
