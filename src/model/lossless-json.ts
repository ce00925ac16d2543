import { isSafeNumber } from 'lossless-json';

// A number token as JSON writes it (RFC 8259 §6).
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

const QUOTE = 0x22, BACKSLASH = 0x5c, MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e, ZERO = 0x30, NINE = 0x39;
const COLON = 0x3a, COMMA = 0x2c, OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d, OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d;
const LOWER_E = 0x65, UPPER_E = 0x45;

function safe(token: string): boolean {
  try {
    return isSafeNumber(token, { approx: false });
  } catch {
    return false;
  }
}

/**
 * Does a double hold this token exactly (lossless-json's isSafeNumber, without approximation)? Integers
 * are answered here: 16 digits fit when at most 2^53, 17 or more never do. An invalid token is "exact":
 * it is left alone for JSON.parse to reject.
 */
function exactToken(token: string, exponent: boolean): boolean {
  if (!JSON_NUMBER.test(token)) return true;
  if (!exponent && token.indexOf('.') < 0) {
    const digits = token.length - (token.charCodeAt(0) === MINUS ? 1 : 0);
    return digits <= 15 || (digits === 16 && Math.abs(Number(token)) <= Number.MAX_SAFE_INTEGER);
  }
  return safe(token);
}

/** The end of the string literal opening at `at` (the index of its closing quote), or -1 when unterminated. */
function stringEnd(text: string, at: number): number {
  let j = text.indexOf('"', at + 1);
  while (j > 0 && text.charCodeAt(j - 1) === BACKSLASH) {
    let b = j - 2;
    while (b > at && text.charCodeAt(b) === BACKSLASH) b--;
    if ((j - 1 - b) % 2 === 0) break; // an even run of backslashes escapes itself, not the quote
    j = text.indexOf('"', j + 1);
  }
  return j;
}

/**
 * Start and end offsets (pairs, flat) of the number tokens in value position that a double cannot hold
 * exactly, or null when there is none. One pass: string literals are skipped whole with `indexOf`, so
 * digits inside them are never looked at; a token of at most 15 digits and dots without an exponent is
 * always exact and is not checked further. Only tokens that are valid JSON numbers in value position
 * (after `:`, `[`, a `,` inside an array, or at the start) are reported, so quoting them can never make
 * invalid JSON valid.
 */
function unsafeNumbers(text: string): number[] | null {
  let spans: number[] | null = null;
  const arrays: boolean[] = []; // per open container: is it an array?
  let previous = 0; // the last significant character (0: none yet)
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return spans; // unterminated: JSON.parse reports it
      i = end;
      previous = QUOTE;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      let j = i + 1;
      let exponent = false;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if ((d >= ZERO && d <= NINE) || d === DOT) continue;
        if (d === LOWER_E || d === UPPER_E || d === PLUS || d === MINUS) { exponent = true; continue; }
        break;
      }
      const digits = j - i - (c === MINUS ? 1 : 0);
      if ((exponent || digits > 15) && !exactToken(text.slice(i, j), exponent)) {
        const valuePosition = previous === 0 || previous === COLON || previous === OPEN_ARRAY || (previous === COMMA && arrays[arrays.length - 1] === true);
        if (valuePosition) (spans ??= []).push(i, j);
      }
      i = j - 1;
      previous = ZERO;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      continue;
    } else {
      if (c === OPEN_OBJECT) arrays.push(false);
      else if (c === OPEN_ARRAY) arrays.push(true);
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) arrays.pop();
      previous = c;
    }
  }
  return spans;
}

/**
 * JSON.parse that keeps every digit: numbers a double cannot hold exactly (DECIMAL(30,10), BIGINT beyond
 * 2^53, Debezium's `ts_ns`) become decimal strings, exactly as lossless-json's parser with "a number when
 * safe, else its text" gives them (test/unit/lossless-json.test.ts).
 *
 * One scan finds those tokens (`unsafeNumbers`, no regular expression over the text); the native parser
 * then parses the text with each of them quoted, or the text itself when there is none. Native JSON.parse
 * is several times faster than a parser written in JavaScript (bench:ingest decode-only).
 */
export function parseJsonLossless(text: string): unknown {
  const spans = unsafeNumbers(text);
  if (spans === null) return JSON.parse(text);
  let quoted = '';
  let from = 0;
  for (let k = 0; k < spans.length; k += 2) {
    quoted += text.slice(from, spans[k]) + '"' + text.slice(spans[k], spans[k + 1]) + '"';
    from = spans[k + 1]!;
  }
  return JSON.parse(quoted + text.slice(from));
}
