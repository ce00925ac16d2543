import { parse, isSafeNumber } from 'lossless-json';
import type { Json } from './json.js';

// Text that may hold a number a double cannot: a long numeric run anywhere (strings included), or a number
// with an exponent (`11e+17`, `1e400`) where a value starts.
const MAYBE_UNSAFE = /[0-9][0-9.eE+-]{15,}|(?:^|[:,[])\s*-?[0-9][0-9.]*[eE]/;
// A numeric run where a JSON value starts — after `:`, `,` or `[` (or at the start), spaces allowed — which
// is the only place a number token can be. It also matches such runs inside strings: see `parseJsonLossless`.
const VALUE_NUMBER = /(^|[:,[])(\s*)(-?[0-9][0-9.eE+-]*)/g;
const SHORT_PLAIN = /^-?[0-9.]{1,15}$/;

function safe(text: string): boolean {
  try {
    return isSafeNumber(text, { approx: false });
  } catch {
    return false;
  }
}

function parseNumber(text: string): number | string {
  return safe(text) ? Number(text) : text;
}

/**
 * JSON.parse that keeps every digit: numbers a double cannot hold exactly (DECIMAL(30,10), BIGINT beyond
 * 2^53, Debezium's `ts_ns`) become decimal strings.
 *
 * Native JSON.parse is much faster than lossless-json's parser (BENCHMARKS.md bench:ingest), so it does the
 * work whenever it can give the same result:
 * - text without a long numeric run or an exponent is parsed natively;
 * - otherwise each such run in value position is checked, and an unsafe one is quoted in the text, so the
 *   native parser returns it as the string lossless-json would. A run inside a string literal that looks
 *   like a value (`"note": "id: 12345678901234567890"`) is quoted too, which always breaks the JSON — a
 *   string literal directly followed by a number — so the native parse throws and lossless-json parses
 *   the original text. Every number token is in value position, so none is missed.
 * Either way the result equals lossless-json's with `parseNumber` (test/unit/lossless-json.test.ts).
 */
export function parseJsonLossless(text: string): unknown {
  if (!MAYBE_UNSAFE.test(text)) return JSON.parse(text);
  let quoted = false;
  const rewritten = text.replace(VALUE_NUMBER, (run: string, before: string, space: string, token: string) => {
    if (SHORT_PLAIN.test(token) || safe(token)) return run;
    quoted = true;
    return `${before}${space}"${token}"`;
  });
  if (!quoted) return JSON.parse(text);
  try {
    return JSON.parse(rewritten);
  } catch {
    return parse(text, null, parseNumber) as Json;
  }
}
