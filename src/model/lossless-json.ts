import { parse, isSafeNumber } from 'lossless-json';
import type { Json } from './json.js';

// A numeric token long enough that a double might not hold all of its digits.
const LONG_NUMBER = /[0-9][0-9.eE+-]{15,}/;

function parseNumber(text: string): number | string {
  return isSafeNumber(text, { approx: false }) ? Number(text) : text;
}

/**
 * JSON.parse that keeps every digit: numbers a double cannot hold exactly (DECIMAL(30,10), BIGINT beyond
 * 2^53) become decimal strings. Fast path: text without a long numeric run goes through JSON.parse.
 */
export function parseJsonLossless(text: string): unknown {
  if (!LONG_NUMBER.test(text)) return JSON.parse(text);
  return parse(text, null, parseNumber) as Json;
}
