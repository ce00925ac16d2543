/**
 * What a PostgreSQL SQLSTATE says about an outcome (PostgreSQL "Appendix A. PostgreSQL Error Codes"): the
 * first two characters are the class. Class 00 is successful completion, 01 a warning (what a message
 * logged at WARNING carries: `01000`), 02 no data — none of them a failure. Class 28 is invalid
 * authorization specification (a failed login). Every other class is an error.
 *
 * `00000` is "no error", not a failure code: a reader that takes any value other than `0` for a failure
 * turns every ordinary statement of a log that carries SQLSTATEs into one.
 */

const SQLSTATE = /^[0-9A-Z]{5}$/;

export type SqlStateOutcome = 'success' | 'failure' | 'auth-failure';

/** The outcome a well-formed SQLSTATE says; null when `code` is not one (then nothing is claimed). */
export function sqlStateOutcome(code: string | null): SqlStateOutcome | null {
  if (code === null) return null;
  const c = code.trim().toUpperCase();
  if (!SQLSTATE.test(c)) return null;
  if (c.startsWith('00') || c.startsWith('01') || c.startsWith('02')) return 'success';
  return c.startsWith('28') ? 'auth-failure' : 'failure';
}
