/**
 * What PostgreSQL text and jsonb can hold: no U+0000, and well-formed UTF-16 (a lone surrogate has no
 * UTF-8 encoding: text would get U+FFFD instead, jsonb rejects its `\udXXX` escape).
 */
declare global {
  interface String {
    /** ES2024 (Node 20+): no lone surrogates. */
    isWellFormed(): boolean;
  }
}

export const holdsNul = (s: string): boolean => s.includes('\u0000');

export const isWellFormed = (s: string): boolean => s.isWellFormed();

/** Storable as PostgreSQL text: no NUL, no lone surrogate. */
export const isStorableText = (s: string): boolean => !holdsNul(s) && isWellFormed(s);
